using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Migration;

namespace Orleans.Proxy.Translation.Admission;

/// <summary>The answer to one admission request: allowed or not, the message of a denial, and warnings kubectl prints.</summary>
public sealed record AdmissionVerdict(bool Allowed, string? Message, ImmutableArray<string> Warnings);

/// <summary>
/// The admission webhook's decision for an Ingress of ours: the same conversion the controller runs, on the
/// cluster's objects with this Ingress in place of its current version. An Ingress the controller would refuse
/// whole (it would serve no route) is denied with the reasons the controller would log; one refused in part
/// (an annotation, a path) is allowed with those reasons as warnings, as the controller serves the rest.
/// A Service or Secret not there yet does not count against it: objects applied together arrive in any order.
/// </summary>
public static class IngressAdmission
{
    public static AdmissionVerdict Review(V1Ingress ingress, ClusterObjects current, ConversionSettings settings)
    {
        var key = IngressConverter.ObjectKey(ingress.Metadata);
        var source = $"Ingress {key}";
        var objects = current with { Ingresses = [.. current.Ingresses.Where(i => IngressConverter.ObjectKey(i.Metadata) != key), ingress] };
        var (withServices, _) = AssumedServices.Add(objects);
        var desired = IngressConverter.Convert(withServices, settings);
        var ns = ingress.Metadata?.NamespaceProperty ?? "default";
        var secrets = current.Secrets.Select(s => IngressConverter.ObjectKey(s.Metadata)).ToHashSet(StringComparer.Ordinal);
        var missingSecretFields = (ingress.Spec?.Tls ?? []).Select((t, i) => (t, i))
            .Where(e => !string.IsNullOrEmpty(e.t.SecretName) && !secrets.Contains($"{ns}/{e.t.SecretName}"))
            .Select(e => $"spec.tls[{e.i}].secretName").ToHashSet(StringComparer.Ordinal);
        var reasons = desired.Rejections.Where(r => r.Object == source && !missingSecretFields.Contains(r.Field))
            .Select(r => $"{r.Field}: {r.Reason}").ToImmutableArray();
        var serves = desired.Hosts.Values.SelectMany(r => r).Any(r => r.Source == source || r.Canary?.Source == source);
        return serves || reasons.IsEmpty
            ? new AdmissionVerdict(true, null, reasons)
            : new AdmissionVerdict(false, $"{source} would be refused: {string.Join("; ", reasons)}", []);
    }
}
