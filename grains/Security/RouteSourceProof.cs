using System.Security.Cryptography;
using System.Text;

namespace Orleans.Proxy.Security;

/// <summary>
/// The keys a silo proves its route-source writes with (<see cref="RouteSourceOnlyAttribute"/>): derived
/// from the silos' cluster certificate, which edges never hold. Empty when the cluster runs without
/// TLS: there is no boundary to keep then, and the caller's id decides.
/// </summary>
public interface IRouteSourceKeys
{
    /// <summary>The current key first, then the one before a rotation (silos pick up a rotated Secret at different moments).</summary>
    IReadOnlyList<byte[]> Keys { get; }
}

internal sealed class NoRouteSourceKeys : IRouteSourceKeys
{
    public IReadOnlyList<byte[]> Keys => [];
}

/// <summary>
/// A proof that a write comes from inside a silo, carried in the call's request context. Orleans'
/// gateway does not check the sender id a client writes in its messages, so a cluster client (an
/// edge, or a stolen edge certificate) could pass for a silo's hosted client; it cannot make this
/// proof without the silos' private key. The proof names the method, the grain and the minute, and is
/// taken out of the request context before the grain runs, so no call the grain makes carries it on.
/// </summary>
internal static class RouteSourceProof
{
    public const string ContextKey = "orleans-proxy.route-source-proof";

    public static string[] Make(IReadOnlyList<byte[]> keys, string method, GrainId target, DateTimeOffset now)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        return [.. keys.Select(k => Mac(k, method, target, minute))];
    }

    /// <summary>True when one proof matches one key for this minute or the next or last one (clocks of silos differ a little).</summary>
    public static bool Verify(object? proofs, IReadOnlyList<byte[]> keys, string method, GrainId target, DateTimeOffset now)
    {
        if (proofs is not string[] presented || presented.Length == 0)
        {
            return false;
        }

        var minute = now.ToUnixTimeSeconds() / 60;
        foreach (var key in keys)
        {
            for (var m = minute - 1; m <= minute + 1; m++)
            {
                var expected = Encoding.ASCII.GetBytes(Mac(key, method, target, m));
                if (presented.Any(p => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(p), expected)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public static string Method(System.Reflection.MethodInfo method) => $"{method.DeclaringType?.FullName}.{method.Name}";

    private static string Mac(byte[] key, string method, GrainId target, long minute) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{method}|{target}|{minute}")));
}
