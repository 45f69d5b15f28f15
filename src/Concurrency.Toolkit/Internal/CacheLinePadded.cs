using System.Runtime.InteropServices;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// A base for small objects whose fields one thread writes while others read or write theirs: the fields of a derived
/// class are laid out after this padding and before <see cref="CacheLinePad"/> padding of their own, so they share a
/// cache line (or the adjacent line the prefetcher pulls along) with nothing else. 128 bytes, as the runtime's own
/// concurrent collections pad.
/// </summary>
internal abstract class CacheLinePadded
{
#pragma warning disable CS0169, IDE0051 // Never read or written: it only takes up space.
    private readonly CacheLinePad _leading;
#pragma warning restore CS0169, IDE0051
}

/// <summary>128 bytes of nothing, to keep hot fields of different owners on different cache lines.</summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal struct CacheLinePad;
