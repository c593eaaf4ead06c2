using Orleans.Proxy.Edge.Authentication;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Authentication;

/// <summary>The htpasswd hash formats, checked against hashes made by openssl passwd and Python's hashlib.</summary>
public sealed class PasswordVerifierTests
{
    [Theory]
    [InlineData("password", "$apr1$xyz$NU.niW1.aK5j0LYFfMca4/")]
    [InlineData("", "$apr1$s$e2aCb9PLCjZ2t55SoAxXn.")]
    [InlineData("s3cret", "$apr1$Zq9x2YkL$xvInpgreSOMkKLLbAulZm/")]
    [InlineData("pässwörd long password more than sixteen", "$1$abcdefgh$oSuHLwNjuwWo9iRMstGV9.")]
    [InlineData("password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")]
    [InlineData("password", "{SSHA}yrht1iYXEIkejLVu42JWkadd80RzYWx0c2FsdA==")]
    public void Verify_RightPassword_True(string password, string hash)
    {
        Assert.True(PasswordVerifier.Verify(password, hash));
        Assert.False(PasswordVerifier.Verify(password + "x", hash));
    }

    [Fact]
    public void Md5CryptHash_KnownVector_SameText() =>
        Assert.Equal("$apr1$xyz$NU.niW1.aK5j0LYFfMca4/", Md5Crypt.Hash("password"u8.ToArray(), "$apr1$xyz$anything"));

    [Theory]
    [InlineData("$2a$")]
    [InlineData("$2b$")]
    [InlineData("$2y$")]
    public void Verify_Bcrypt_EveryPrefix(string prefix)
    {
        var hash = prefix + BCrypt.Net.BCrypt.HashPassword("open sesame", 4)[4..];

        Assert.Equal(PasswordHashScheme.Bcrypt, PasswordHashes.Classify(hash).Scheme);
        Assert.True(PasswordVerifier.Verify("open sesame", hash));
        Assert.False(PasswordVerifier.Verify("open sesame!", hash));
    }

    [Theory]
    [InlineData("{PLAIN}secret", "in clear")]
    [InlineData("$6$salt$abcdefghijklmnopqrstuvwxyz", "SHA-crypt")]
    [InlineData("abJnggxhB/yWI", "crypt(3) DES")]
    [InlineData("{SHA}dG9vc2hvcnQ=", "20 bytes")]
    [InlineData("plain-password", "is not a password hash")]
    public void Classify_UnverifiableHash_RefusedWithReason(string hash, string reason)
    {
        var (scheme, refusal) = PasswordHashes.Classify(hash);

        Assert.Equal(PasswordHashScheme.Unsupported, scheme);
        Assert.Contains(reason, refusal);
        Assert.False(PasswordVerifier.Verify("secret", hash));
    }

    [Fact]
    public void Admits_BasicHeader_OnlyListedUserWithRightPassword()
    {
        var credentials = new BasicCredentials(new BasicAuthSpec("Staff \"only\"", [new BasicAuthUser("alice", "$apr1$xyz$NU.niW1.aK5j0LYFfMca4/")]));

        Assert.True(credentials.Admits(Basic("alice:password")));
        Assert.True(credentials.Admits(Basic("alice:password")));
        Assert.False(credentials.Admits(Basic("alice:Password")));
        Assert.False(credentials.Admits(Basic("bob:password")));
        Assert.False(credentials.Admits("Basic !!!"));
        Assert.False(credentials.Admits("Bearer x"));
        Assert.False(credentials.Admits(null));
        Assert.Equal("Basic realm=\"Staff \\\"only\\\"\"", credentials.Challenge);
    }

    [Fact]
    public void Serialize_BasicAuthUser_HashRedactedInJsonViews() =>
        Assert.Equal("""{"Name":"alice","Hash":"(redacted)"}""", System.Text.Json.JsonSerializer.Serialize(new BasicAuthUser("alice", "$apr1$xyz$NU.niW1.aK5j0LYFfMca4/")));

    private static string Basic(string userAndPassword) => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(userAndPassword));
}
