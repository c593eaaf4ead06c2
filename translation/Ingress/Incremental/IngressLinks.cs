using System.Net;
using k8s.Models;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Rules;

namespace Orleans.Proxy.Translation.Ingress.Incremental;

/// <summary>
/// What an Ingress can share with another, so that converting one can change what the other gives: its namespace/name
/// (duplicates), every host it may route or claim (rule hosts, the "*" host of a default backend, spec.tls hosts,
/// server-alias hosts, from-to-www twins) and every Service it may resolve (rule and default backends, default-backend,
/// mirror-target). Two Ingresses with a link in common are converted together; more links than needed only make groups larger.
/// </summary>
internal static class IngressLinks
{
    public static string[] Of(V1Ingress ingress)
    {
        var ns = ingress.Metadata?.NamespaceProperty ?? "default";
        var links = new HashSet<string>(StringComparer.Ordinal) { $"Ingress {IngressConverter.ObjectKey(ingress.Metadata)}" };
        var spec = ingress.Spec;
        if (spec?.DefaultBackend is { } defaultBackend)
        {
            links.Add(Host(IngressConverter.AnyHost));
            AddService(links, ns, defaultBackend.Service?.Name);
        }

        foreach (var rule in spec?.Rules ?? [])
        {
            AddHost(links, rule.Host, withTwin: true);
            foreach (var path in rule.Http?.Paths ?? [])
            {
                AddService(links, ns, path.Backend?.Service?.Name);
            }
        }

        foreach (var host in spec?.Tls?.SelectMany(t => t.Hosts ?? []) ?? [])
        {
            AddHost(links, host, withTwin: false);
        }

        var annotations = ingress.Metadata?.Annotations;
        if (AnnotationReader.Peek(annotations, AnnotationTable.NginxServerAlias).Value is { IsDefault: false } aliases)
        {
            links.UnionWith(aliases.Select(Host));
        }

        AddService(links, ns, AnnotationReader.Peek(annotations, AnnotationTable.NginxDefaultBackend).Value);
        if (AnnotationReader.Peek(annotations, AnnotationTable.NginxMirrorTarget).Value is { } mirror)
        {
            if (IPAddress.TryParse(mirror.Host.Trim('[', ']'), out _))
            {
                // Address targets are clusters of their own that several Ingresses may name: one link for them all.
                links.Add("Mirror addresses");
            }
            else if (AnnotationTypes.MirrorService(mirror.Host) is var (serviceNamespace, service))
            {
                AddService(links, serviceNamespace, service);
            }
        }

        return [.. links];
    }

    private static void AddHost(HashSet<string> links, string? name, bool withTwin)
    {
        if (IngressRules.NormalizeHost(name) is not { } host)
        {
            return;
        }

        links.Add(Host(host));
        if (withTwin && host != IngressConverter.AnyHost && !host.StartsWith("*.", StringComparison.Ordinal))
        {
            links.Add(Host(host.StartsWith("www.", StringComparison.Ordinal) ? host["www.".Length..] : "www." + host));
        }
    }

    private static void AddService(HashSet<string> links, string ns, string? name)
    {
        if (!string.IsNullOrEmpty(name))
        {
            links.Add($"Service {ns}/{name}");
        }
    }

    private static string Host(string host) => $"Host {host}";
}
