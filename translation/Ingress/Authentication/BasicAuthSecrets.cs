using System.Collections.Immutable;
using System.Text;
using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress.Authentication;

/// <summary>
/// The users of auth-secret Secrets, as ingress-nginx reads them: auth-file, an htpasswd file in the
/// key "auth" (user:hash lines; blank lines and # comments skipped), or auth-map, one key per user
/// whose value is the hash. A line whose hash cannot be verified is refused alone (that user cannot
/// log in); a Secret without one usable user cannot serve.
/// </summary>
internal sealed class BasicAuthSecrets(ClusterIndex index)
{
    /// <summary>The key of an auth-file Secret.</summary>
    public const string FileKey = "auth";

    /// <summary>The users of the Secret <paramref name="key"/> ("namespace/name"), the lines refused, or why none can serve.</summary>
    public (ImmutableArray<BasicAuthUser> Users, ImmutableArray<string> Refused, string? Error) Read(string key, bool isMap)
    {
        if (index.Secret(key) is not { } secret)
        {
            return ([], [], $"Secret '{key}' does not exist");
        }

        var entries = new List<(string Where, string User, string Hash)>();
        if (isMap)
        {
            foreach (var name in Keys(secret))
            {
                entries.Add(($"key '{name}'", name, Text(secret, name)?.Trim() ?? ""));
            }
        }
        else if (Text(secret, FileKey) is not { } file)
        {
            return ([], [], $"Secret '{key}' has no key '{FileKey}' holding an htpasswd file (for one key per user, set auth-secret-type: auth-map)");
        }
        else
        {
            var lines = file.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                entries.Add(colon <= 0 ? ($"line {i + 1}", "", "") : ($"line {i + 1}", line[..colon], line[(colon + 1)..]));
            }
        }

        var users = ImmutableArray.CreateBuilder<BasicAuthUser>();
        var refused = ImmutableArray.CreateBuilder<string>();
        foreach (var (where, user, hash) in entries)
        {
            var (scheme, refusal) = PasswordHashes.Classify(hash);
            if (user.Length == 0)
            {
                refused.Add($"Secret '{key}' {where} is not user:hash");
            }
            else if (scheme == PasswordHashScheme.Unsupported)
            {
                refused.Add($"Secret '{key}' {where} (user '{user}'): {refusal}; that user cannot log in");
            }
            else if (users.Any(u => u.Name == user))
            {
                refused.Add($"Secret '{key}' {where}: user '{user}' is listed twice; the first entry applies");
            }
            else
            {
                users.Add(new BasicAuthUser(user, hash));
            }
        }

        return users.Count == 0
            ? ([], refused.ToImmutable(), $"Secret '{key}' holds no user with a password hash this controller verifies")
            : (users.ToImmutable(), refused.ToImmutable(), null);
    }

    private static IEnumerable<string> Keys(V1Secret secret) =>
        (secret.Data?.Keys ?? []).Concat(secret.StringData?.Keys ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    private static string? Text(V1Secret secret, string name) =>
        secret.Data?.TryGetValue(name, out var bytes) == true && bytes is { Length: > 0 } ? Encoding.UTF8.GetString(bytes)
        : secret.StringData?.TryGetValue(name, out var text) == true && !string.IsNullOrEmpty(text) ? text
        : null;
}
