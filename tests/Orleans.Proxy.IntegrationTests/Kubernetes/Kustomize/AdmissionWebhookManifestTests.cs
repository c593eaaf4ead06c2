using k8s;
using k8s.Models;
using Orleans.Proxy.Silo.RouteSources.Kubernetes.Admission;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

/// <summary>k8s/ with k8s/components/admission-webhook, rendered as <c>kubectl kustomize</c> renders it.</summary>
public sealed class AdmissionWebhookManifestTests
{
    private static async Task<(List<object> Objects, string By, string OwnYaml)> RenderAsync()
    {
        var user = Path.Combine(Path.GetTempPath(), $"orleans-proxy-kustomize-{Guid.NewGuid():N}");
        Directory.CreateDirectory(user);
        try
        {
            var k8s = Path.GetRelativePath(user, KubernetesManifests.Directory).Replace('\\', '/');
            await File.WriteAllTextAsync(Path.Combine(user, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: ["{k8s}"]
                components: ["{k8s}/components/admission-webhook"]

                """);
            var (yaml, by) = await KustomizeRendering.RenderAsync(user);
            return (KubernetesYaml.LoadAllFromString(yaml, new Dictionary<string, Type>(KubernetesManifests.Kinds), strict: true), by, KustomizeRendering.RenderOwn(user));
        }
        finally
        {
            Directory.Delete(user, recursive: true);
        }
    }

    [Fact]
    public async Task Component_WebhookReachesTheSilosPortWithTheMountedCertificate_CaInjectedByCertManager_FailurePolicyFail()
    {
        var (objects, by, own) = await RenderAsync();

        var configuration = Assert.Single(objects.OfType<V1ValidatingWebhookConfiguration>());
        var webhook = Assert.Single(configuration.Webhooks);
        Assert.Equal(("Fail", "None", "v1"), (webhook.FailurePolicy, webhook.SideEffects, Assert.Single(webhook.AdmissionReviewVersions)));
        Assert.Equal(AdmissionWebhookServer.Path, webhook.ClientConfig.Service.Path);
        var rule = Assert.Single(webhook.Rules);
        Assert.Equal(("networking.k8s.io", "ingresses"), (Assert.Single(rule.ApiGroups), Assert.Single(rule.Resources)));
        Assert.Equal(["CREATE", "UPDATE"], rule.Operations);

        // The Service it calls, in our namespace, selects the silo pods and targets their webhook port.
        var service = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == webhook.ClientConfig.Service.Name);
        Assert.Equal((KubernetesManifests.OwnNamespace, KubernetesManifests.OwnNamespace), (webhook.ClientConfig.Service.NamespaceProperty, service.Metadata.NamespaceProperty));
        var silo = Assert.Single(objects.OfType<V1StatefulSet>());
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, silo.Spec.Template.Metadata.Labels[l.Key]));
        var container = Assert.Single(silo.Spec.Template.Spec.Containers);
        var port = service.Spec.Ports.Single().TargetPort.Value;

        // The settings turn it on at that port, with the files of the Secret cert-manager writes, mounted in the pod.
        var settings = Assert.Single(objects.OfType<V1ConfigMap>(), m => container.EnvFrom.Any(e => e.ConfigMapRef.Name == m.Metadata.Name) && m.Data.ContainsKey("AdmissionWebhook__Enabled"));
        Assert.Equal(("true", port), (settings.Data["AdmissionWebhook__Enabled"], settings.Data["AdmissionWebhook__Port"]));
        var mount = Assert.Single(container.VolumeMounts, m => settings.Data["AdmissionWebhook__CertificateFile"] == $"{m.MountPath}/tls.crt");
        Assert.Equal($"{mount.MountPath}/tls.key", settings.Data["AdmissionWebhook__KeyFile"]);
        var secretName = Assert.Single(silo.Spec.Template.Spec.Volumes, v => v.Name == mount.Name).Secret.SecretName;
        var injectFrom = configuration.Metadata.Annotations["cert-manager.io/inject-ca-from"];
        var certificate = Assert.Single(objects.OfType<CertManagerCertificate>(), c => $"{c.Metadata.NamespaceProperty}/{c.Metadata.Name}" == injectFrom);
        Assert.Equal(secretName, certificate.Spec.SecretName);
        Assert.Contains($"{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc", certificate.Spec.DnsNames ?? []);

        // The API server can reach that port through the NetworkPolicies.
        Assert.Contains(objects.OfType<V1NetworkPolicy>(), p => p.Spec.PodSelector.MatchLabels.All(l => silo.Spec.Template.Metadata.Labels[l.Key] == l.Value)
            && p.Spec.Ingress.Any(i => i.FromProperty is null && i.Ports.Any(x => x.Port.Value == port)));

        // Our rendering (used without kubectl) agrees on the objects.
        Assert.Equal(objects.Count, KubernetesYaml.LoadAllFromString(own, new Dictionary<string, Type>(KubernetesManifests.Kinds), strict: true).Count);
        Assert.False(string.IsNullOrEmpty(by));
    }
}
