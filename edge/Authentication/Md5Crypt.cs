using System.Security.Cryptography;
using System.Text;

namespace Orleans.Proxy.Edge.Authentication;

/// <summary>
/// MD5-crypt, the hash of htpasswd -m ($apr1$) and of crypt(3)'s $1$: MD5 of the password, magic and
/// salt, mixed with MD5(password, salt, password), then 1000 more rounds, written in crypt's base-64.
/// Written here because .NET has no crypt(3); the scheme is weak and kept for existing htpasswd files.
/// </summary>
internal static class Md5Crypt
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The hash of <paramref name="password"/> with the magic ("$apr1$" or "$1$") and salt of <paramref name="existing"/>.</summary>
    public static string Hash(byte[] password, string existing)
    {
        var magicEnd = existing.IndexOf('$', 1) + 1;
        var magic = existing[..magicEnd];
        var saltEnd = existing.IndexOf('$', magicEnd);
        var salt = existing[magicEnd..(saltEnd < 0 ? existing.Length : saltEnd)];
        if (salt.Length > 8)
        {
            salt = salt[..8];
        }

        var saltBytes = Encoding.UTF8.GetBytes(salt);
        var alternate = MD5.HashData([.. password, .. saltBytes, .. password]);

        using var context = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        context.AppendData(password);
        context.AppendData(Encoding.ASCII.GetBytes(magic));
        context.AppendData(saltBytes);
        for (var left = password.Length; left > 0; left -= 16)
        {
            context.AppendData(alternate, 0, Math.Min(16, left));
        }

        for (var bits = password.Length; bits != 0; bits >>= 1)
        {
            // The historical quirk: a set bit adds a zero byte, a clear one the password's first byte.
            if ((bits & 1) != 0)
            {
                context.AppendData([0]);
            }
            else
            {
                context.AppendData(password, 0, Math.Min(1, password.Length));
            }
        }

        var digest = context.GetHashAndReset();
        for (var round = 0; round < 1000; round++)
        {
            context.AppendData((round & 1) != 0 ? password : digest);
            if (round % 3 != 0)
            {
                context.AppendData(saltBytes);
            }

            if (round % 7 != 0)
            {
                context.AppendData(password);
            }

            context.AppendData((round & 1) != 0 ? digest : password);
            digest = context.GetHashAndReset();
        }

        var text = new StringBuilder(magic.Length + salt.Length + 23).Append(magic).Append(salt).Append('$');
        Encode(text, digest[0], digest[6], digest[12], 4);
        Encode(text, digest[1], digest[7], digest[13], 4);
        Encode(text, digest[2], digest[8], digest[14], 4);
        Encode(text, digest[3], digest[9], digest[15], 4);
        Encode(text, digest[4], digest[10], digest[5], 4);
        Encode(text, 0, 0, digest[11], 2);
        return text.ToString();
    }

    private static void Encode(StringBuilder text, byte high, byte middle, byte low, int characters)
    {
        var value = (high << 16) | (middle << 8) | low;
        for (var i = 0; i < characters; i++)
        {
            text.Append(Alphabet[value & 0x3f]);
            value >>= 6;
        }
    }
}
