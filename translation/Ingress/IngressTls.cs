using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;

using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// spec.tls of the Ingresses of one conversion: each entry's Secret must be a kubernetes.io/tls
/// Secret whose tls.crt and tls.key are a matching PEM certificate and key. A host takes the
/// certificate of the oldest Ingress that names it; a bad or missing Secret is rejected alone.
/// </summary>
internal sealed class IngressTls(ClusterIndex index)
{
    private readonly Dictionary<string, (TlsCertificateSpec? Certificate, string? Error)> _read = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Reference, string Source)> _hosts = new(StringComparer.Ordinal);

    public ImmutableSortedDictionary<string, TlsCertificateSpec> Certificates =>
        _read.Where(r => r.Value.Certificate is not null && _hosts.Values.Any(h => h.Reference.StartsWith(r.Key + "#", StringComparison.Ordinal)))
            .ToImmutableSortedDictionary(r => r.Key, r => r.Value.Certificate!, StringComparer.Ordinal);

    /// <summary>The certificate reference ("ns/name#fingerprint") per host of this Ingress; rejections for what cannot serve.</summary>
    public Dictionary<string, string> Read(string source, string ns, V1IngressSpec? spec, Func<string?, string?> normalizeHost, List<Rejection> rejections)
    {
        var byHost = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = spec?.Tls ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var field = $"spec.tls[{i}]";
            var entry = entries[i];
            if (string.IsNullOrEmpty(entry.SecretName))
            {
                rejections.Add(new Rejection(source, $"{field}.secretName", "names no Secret; these hosts get no certificate"));
                continue;
            }

            var (reference, error) = Reference($"{ns}/{entry.SecretName}");
            if (reference is null)
            {
                rejections.Add(new Rejection(source, $"{field}.secretName", error!));
                continue;
            }

            var hosts = entry.Hosts is { Count: > 0 } named ? named : spec?.Rules?.Select(r => r.Host).Where(h => !string.IsNullOrEmpty(h)).ToList() ?? [];
            foreach (var name in hosts)
            {
                if (normalizeHost(name) is not { } host || host == IngressConverter.AnyHost)
                {
                    rejections.Add(new Rejection(source, $"{field}.hosts", $"'{name}' is not a valid host name"));
                    continue;
                }

                if (Claim(source, host, reference) is { } conflict)
                {
                    rejections.Add(new Rejection(source, $"{field}.hosts", conflict));
                    continue;
                }

                byHost[host] = reference;
            }
        }

        return byHost;
    }

    /// <summary>The certificate reference ("ns/name#fingerprint") of the Secret "ns/name", or why it cannot serve.</summary>
    public (string? Reference, string? Error) Reference(string key)
    {
        if (!_read.TryGetValue(key, out var read))
        {
            _read[key] = read = ReadSecret(key);
        }

        return read.Certificate is null ? (null, read.Error) : ($"{key}#{read.Certificate.Fingerprint}", null);
    }

    /// <summary>Gives <paramref name="host"/> the certificate; null, or why not when the host already has another (the first claim wins).</summary>
    public string? Claim(string source, string host, string reference)
    {
        if (_hosts.TryGetValue(host, out var existing) && existing.Reference != reference)
        {
            return $"host '{host}' already takes its certificate from {existing.Source} ({existing.Reference.Split('#')[0]})";
        }

        _hosts[host] = (reference, existing.Source ?? source);
        return null;
    }

    private (TlsCertificateSpec?, string?) ReadSecret(string key) =>
        index.Secret(key) is { } secret ? TlsSecret.Read(secret, key, key) : (null, $"Secret '{key}' does not exist");
}
