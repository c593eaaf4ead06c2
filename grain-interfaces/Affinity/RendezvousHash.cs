using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Orleans.Proxy.Affinity;

/// <summary>
/// Rendezvous (highest random weight) hashing with a stable 64-bit hash, shared by the affinity
/// grain and every edge so that all compute the same destination for a key. Adding a destination
/// moves only the keys it wins (about 1/n); removing one moves only the keys it held.
/// </summary>
public static class RendezvousHash
{
    /// <summary>The destination with the highest weight for <paramref name="key"/>; null when there is none.</summary>
    public static string? Pick(string key, IEnumerable<string> destinationIds)
    {
        string? best = null;
        ulong bestWeight = 0;
        foreach (var id in destinationIds)
        {
            var weight = Weight(key, id);
            // Ties (practically never) go to the ordinally smaller id, so the order of the input does not matter.
            if (best is null || weight > bestWeight || (weight == bestWeight && string.CompareOrdinal(id, best) < 0))
            {
                best = id;
                bestWeight = weight;
            }
        }

        return best;
    }

    /// <summary>XxHash64 of the UTF-8 of key, a separator, and the destination id.</summary>
    public static ulong Weight(string key, string destinationId)
    {
        var length = Encoding.UTF8.GetMaxByteCount(key.Length + destinationId.Length + 1);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(key, rented);
            rented[written++] = 0;
            written += Encoding.UTF8.GetBytes(destinationId, 0, destinationId.Length, rented, written);
            return XxHash64.HashToUInt64(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
