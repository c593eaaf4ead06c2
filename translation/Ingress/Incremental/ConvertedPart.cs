using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress.Incremental;

/// <summary>What a group of Ingresses converts to (<see cref="IngressConverter.ConvertPart"/>): hosts, backends and certificates no other group has.</summary>
/// <param name="Outcomes">The Ingresses that were rejected something or refused, in the order they were converted.</param>
internal sealed record ConvertedPart(
    ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> Hosts,
    ImmutableSortedDictionary<string, BackendSpec> Backends,
    ImmutableSortedDictionary<string, TlsCertificateSpec> Certificates,
    ImmutableArray<IngressOutcome> Outcomes);

/// <summary>The rejections (printable) and refusals one Ingress caused while it was converted.</summary>
internal sealed record IngressOutcome(V1Ingress Ingress, ImmutableArray<Rejection> Rejections, ImmutableArray<string> Refused);
