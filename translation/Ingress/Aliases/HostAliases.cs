using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.Translation.Ingress.Aliases;

/// <summary>
/// The extra hosts an Ingress's routes serve: server-alias (each alias gets a copy of every route)
/// and from-to-www-redirect (the www or bare twin of each host answers a redirect to it). As in
/// ingress-nginx, a host that is the host of a rule of any Ingress is never taken by an alias or a
/// twin: the rule serves it, and the alias or twin is reported.
/// </summary>
internal sealed class HostAliases(RouteTable routes, IReadOnlyDictionary<string, string> ruleHosts, ICollection<Rejection> rejections)
{
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    /// <summary>The alias and twin routes of <paramref name="route"/>, a route of the Ingress <paramref name="key"/> just added.</summary>
    /// <param name="certificates">The Ingress's certificates by host (from spec.tls).</param>
    public void Add(string key, RouteSpec route, NginxRouteSettings settings, string field, IReadOnlyDictionary<string, string> certificates)
    {
        foreach (var alias in settings.Aliases)
        {
            if (ruleHosts.TryGetValue(alias, out var owner))
            {
                if (_done.Add($"{key}|alias|{alias}"))
                {
                    rejections.Add(new Rejection(route.Source, $"metadata.annotations[{AnnotationTable.NginxServerAlias.Name}]",
                        $"alias '{alias}' is the host of a rule of {owner}, which serves it; the alias is ignored"));
                }

                continue;
            }

            // The alias shares the rule's settings, its certificate included, as one nginx server with two names does.
            routes.Add(route with { RouteId = $"{route.RouteId}@{alias}", Host = alias, TlsCertificate = certificates.GetValueOrDefault(alias) ?? route.TlsCertificate }, field);
        }

        if (!settings.FromToWww || route.Host == IngressConverter.AnyHost || route.Host.StartsWith("*.", StringComparison.Ordinal)
            || !_done.Add($"{key}|www|{route.Host}"))
        {
            return;
        }

        var twin = route.Host.StartsWith("www.", StringComparison.Ordinal) ? route.Host["www.".Length..] : "www." + route.Host;
        if (ruleHosts.TryGetValue(twin, out var twinOwner))
        {
            rejections.Add(new Rejection(route.Source, $"metadata.annotations[{AnnotationTable.NginxFromToWwwRedirect.Name}]",
                $"'{twin}' is the host of a rule of {twinOwner}, which serves it; it does not redirect to '{route.Host}'"));
            return;
        }

        routes.Add(new RouteSpec($"{key}#from-to-www:{twin}", twin, "/", PathMatchKind.Prefix, [], [], route.ClusterId, route.Source)
        {
            TlsCertificate = certificates.GetValueOrDefault(twin),
            Nginx = new NginxRouteSpec { RedirectToHost = route.Host },
        }, $"metadata.annotations[{AnnotationTable.NginxFromToWwwRedirect.Name}]");
    }
}
