using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.Translation.Ingress.Canary;

/// <summary>
/// Attaches a canary Ingress's routes to the main routes with the same host and path, as
/// ingress-nginx does: the canary's backend becomes the main route's alternative (by header, cookie
/// or weight), talking the main backend's protocol with its timeouts. One canary per host and path.
/// </summary>
internal sealed class CanaryAttacher(RouteTable routes, BackendTable backends, ICollection<Rejection> rejections)
{
    /// <summary>Adds <paramref name="canaryRoute"/>'s backend to the main routes it shares a host and path with; a rejection at <paramref name="field"/> when there is none or one already has a canary.</summary>
    public bool Attach(RouteSpec canaryRoute, NginxCanarySettings canary, string field)
    {
        var mains = routes.SamePath(canaryRoute.Host, canaryRoute);
        if (mains.Count == 0)
        {
            rejections.Add(new Rejection(canaryRoute.Source, field, $"a canary needs a main Ingress with host '{canaryRoute.Host}' and path '{canaryRoute.PathRegex ?? canaryRoute.Path}' ({canaryRoute.PathMatch}); none serves it"));
            return false;
        }

        if (mains.FirstOrDefault(m => m.Canary is not null) is { } taken)
        {
            rejections.Add(new Rejection(canaryRoute.Source, field, $"route {taken.RouteId} already has the canary {taken.Canary!.Source}; only one canary per host and path"));
            return false;
        }

        foreach (var main in mains)
        {
            // The canary's backend talks the main backend's protocol, with its timeouts.
            backends.ApplySettings(canaryRoute.Source, canaryRoute.ClusterId, backends.SettingsOf(main.ClusterId));
            routes.Replace(main, main with
            {
                Canary = new CanarySpec(canaryRoute.ClusterId, canaryRoute.Source, canary.Weight, canary.Header, canary.HeaderValue, canary.Cookie)
                {
                    HeaderPattern = canary.HeaderPattern,
                    WeightTotal = canary.WeightTotal,
                },
            });
        }

        return true;
    }
}
