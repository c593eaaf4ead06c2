using System.Security.Cryptography;
using System.Text;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Authentication;

/// <summary>Checks a password against an htpasswd hash, in constant time for the comparison.</summary>
internal static class PasswordVerifier
{
    public static bool Verify(string password, string hash)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        switch (PasswordHashes.Classify(hash).Scheme)
        {
            case PasswordHashScheme.Bcrypt:
                // BCrypt.Net reads $2y$ as $2b$ (the same algorithm, PHP's name for it).
                return BCrypt.Net.BCrypt.Verify(password, hash);
            case PasswordHashScheme.Md5Crypt:
                return FixedTimeEquals(Md5Crypt.Hash(bytes, hash), hash);
            case PasswordHashScheme.Sha1:
                return CryptographicOperations.FixedTimeEquals(SHA1.HashData(bytes), Convert.FromBase64String(hash[5..]));
            case PasswordHashScheme.SaltedSha1:
                var stored = Convert.FromBase64String(hash[6..]);
                var digest = SHA1.HashData([.. bytes, .. stored.AsSpan(20)]);
                return CryptographicOperations.FixedTimeEquals(digest, stored.AsSpan(0, 20));
            default:
                return false;
        }
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
