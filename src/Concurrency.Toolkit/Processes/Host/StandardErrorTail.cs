namespace Concurrency.Toolkit.Processes.Host;

/// <summary>The last lines a worker wrote to standard error, kept for crash reports.</summary>
internal sealed class StandardErrorTail(int capacity = 20)
{
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line.Length > 2000 ? line[..2000] + "..." : line);
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join(Environment.NewLine, _lines);
        }
    }
}
