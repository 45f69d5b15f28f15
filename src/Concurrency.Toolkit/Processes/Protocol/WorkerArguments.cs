using System.Globalization;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// The command line a host gives a worker. The authentication token is not on it (command lines are visible to
/// every user): it arrives on the worker's standard input.
/// </summary>
internal sealed record WorkerArguments(string SocketPath, string MarkerPath, int WorkerId, int ParentProcessId, int MaxMessageBytes)
{
    /// <summary>The first argument of a worker's command line; an app's own <c>Main</c> can test for it (see <see cref="ProcessWorker"/>).</summary>
    public const string Flag = "--concurrency-toolkit-worker";

    public IEnumerable<string> ToArguments()
    {
        yield return Flag;
        yield return SocketPath;
        yield return MarkerPath;
        yield return WorkerId.ToString(CultureInfo.InvariantCulture);
        yield return ParentProcessId.ToString(CultureInfo.InvariantCulture);
        yield return MaxMessageBytes.ToString(CultureInfo.InvariantCulture);
    }

    public static WorkerArguments? TryParse(IReadOnlyList<string> args)
    {
        var start = -1;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == Flag)
            {
                start = i;
                break;
            }
        }

        if (start < 0 || args.Count < start + 6)
        {
            return null;
        }

        return new WorkerArguments(
            args[start + 1],
            args[start + 2],
            int.Parse(args[start + 3], CultureInfo.InvariantCulture),
            int.Parse(args[start + 4], CultureInfo.InvariantCulture),
            int.Parse(args[start + 5], CultureInfo.InvariantCulture));
    }
}
