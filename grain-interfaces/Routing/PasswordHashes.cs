using System.Text.RegularExpressions;

namespace Orleans.Proxy.Routing;

/// <summary>The password hash formats of htpasswd files that the edges verify.</summary>
public enum PasswordHashScheme
{
    Unsupported = 0,
    /// <summary>$2a$, $2b$, $2y$.</summary>
    Bcrypt = 1,
    /// <summary>MD5-crypt: Apache's $apr1$ and crypt(3)'s $1$ (the same algorithm, another prefix).</summary>
    Md5Crypt = 2,
    /// <summary>{SHA}: base64 of SHA-1 of the password, unsalted.</summary>
    Sha1 = 3,
    /// <summary>{SSHA}: base64 of SHA-1 of the password and a salt, then the salt.</summary>
    SaltedSha1 = 4,
}

/// <summary>
/// Which scheme an htpasswd hash uses, or why it cannot be used: the translation refuses such a line
/// with the reason, and the edge picks the verifier by it.
/// </summary>
public static partial class PasswordHashes
{
    private const string Rehash = "re-hash it with htpasswd -B (bcrypt) or -m (apr1)";

    [GeneratedRegex(@"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")]
    private static partial Regex BcryptPattern();

    [GeneratedRegex(@"^\$(apr1|1)\$[^$:]{0,8}\$[./0-9A-Za-z]{22}$")]
    private static partial Regex Md5CryptPattern();

    [GeneratedRegex(@"^[./0-9A-Za-z]{13}$")]
    private static partial Regex DesCryptPattern();

    /// <summary>The scheme of <paramref name="hash"/>; for <see cref="PasswordHashScheme.Unsupported"/>, the reason.</summary>
    public static (PasswordHashScheme Scheme, string? Refusal) Classify(string hash) => hash switch
    {
        _ when BcryptPattern().IsMatch(hash) => (PasswordHashScheme.Bcrypt, null),
        _ when Md5CryptPattern().IsMatch(hash) => (PasswordHashScheme.Md5Crypt, null),
        _ when hash.StartsWith("{SHA}", StringComparison.Ordinal) => Base64Length(hash[5..]) == 20
            ? (PasswordHashScheme.Sha1, null) : (PasswordHashScheme.Unsupported, "a {SHA} hash must be the base64 of 20 bytes"),
        _ when hash.StartsWith("{SSHA}", StringComparison.Ordinal) => Base64Length(hash[6..]) > 20
            ? (PasswordHashScheme.SaltedSha1, null) : (PasswordHashScheme.Unsupported, "an {SSHA} hash must be the base64 of 20 bytes and a salt"),
        _ when hash.StartsWith("{PLAIN}", StringComparison.Ordinal) =>
            (PasswordHashScheme.Unsupported, $"a {{PLAIN}} password would travel to the edges in clear: {Rehash}"),
        _ when hash.StartsWith("$5$", StringComparison.Ordinal) || hash.StartsWith("$6$", StringComparison.Ordinal) =>
            (PasswordHashScheme.Unsupported, $"SHA-crypt ($5$, $6$) is not supported: {Rehash}"),
        _ when DesCryptPattern().IsMatch(hash) =>
            (PasswordHashScheme.Unsupported, $"crypt(3) DES is not supported (.NET has no DES crypt(3), and it reads only 8 characters of a password): {Rehash}"),
        _ => (PasswordHashScheme.Unsupported, "is not a password hash this controller verifies (bcrypt $2y$/$2a$/$2b$, $apr1$, $1$, {SHA}, {SSHA})"),
    };

    private static int Base64Length(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? written : -1;
    }
}
