using System.Buffers;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// Where a worker's frame bodies come from. Small buffers are the shared pool's. Large ones (a batch of big inputs:
/// up to <see cref="ProcessStrategyOptions.MaxMessageBytes"/>) are allocated at their exact size and at most
/// <see cref="MaxKept"/> are kept for the next frames, until <see cref="Trim"/> lets them go when the worker falls
/// idle: the shared pool rounds each up to a power of two and keeps it for the life of the process, which left a
/// worker holding 288-405 MiB after the payload benchmark's 1 MiB blobs.
/// </summary>
internal sealed class WorkerBufferPool : ArrayPool<byte>
{
    /// <summary>Buffers above this size are large: the shared pool's own largest buckets start here.</summary>
    public const int LargeBytes = 64 * 1024;

    /// <summary>Large buffers kept between frames: one being read while the execution thread works on the one before.</summary>
    public const int MaxKept = 2;

    private readonly Lock _gate = new();
    private readonly byte[]?[] _kept = new byte[MaxKept][];
    private bool _usedLarge;

    /// <summary>Gets whether a large buffer was rented since the last <see cref="Trim"/>.</summary>
    public bool UsedLarge
    {
        get
        {
            lock (_gate)
            {
                return _usedLarge;
            }
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength <= LargeBytes)
        {
            return Shared.Rent(minimumLength);
        }

        lock (_gate)
        {
            _usedLarge = true;

            // The smallest kept buffer that fits, so that a huge one stays for a huge frame.
            var best = -1;
            for (var i = 0; i < _kept.Length; i++)
            {
                if (_kept[i] is { } kept && kept.Length >= minimumLength && (best < 0 || kept.Length < _kept[best]!.Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                var buffer = _kept[best]!;
                _kept[best] = null;
                return buffer;
            }
        }

        // Every byte is written by the socket read before it is read.
        return GC.AllocateUninitializedArray<byte>(minimumLength);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length <= LargeBytes)
        {
            Shared.Return(array, clearArray);
            return;
        }

        lock (_gate)
        {
            // Keep the largest ones: a smaller kept buffer gives its place to a larger returned one.
            var slot = -1;
            for (var i = 0; i < _kept.Length; i++)
            {
                if (_kept[i] is null)
                {
                    slot = i;
                    break;
                }

                if (_kept[i]!.Length < array.Length && (slot < 0 || _kept[i]!.Length < _kept[slot]!.Length))
                {
                    slot = i;
                }
            }

            if (slot >= 0)
            {
                _kept[slot] = array;
            }
        }
    }

    /// <summary>Lets the kept large buffers go, for the garbage collector to give back to the system.</summary>
    public void Trim()
    {
        lock (_gate)
        {
            Array.Clear(_kept);
            _usedLarge = false;
        }
    }
}
