using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.Translation.Admission;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes.Admission;

/// <summary>
/// The validating admission webhook (ValidatingWebhookConfiguration, AdmissionReview v1), on its own HTTPS
/// listener in every silo: every replica keeps the informer caches warm, so any one can answer. An Ingress of
/// ours is judged by <see cref="IngressAdmission"/> against the caches; others are allowed. Before the caches
/// have synced it answers 503, so the configuration's failurePolicy (Fail or Ignore) decides.
/// </summary>
internal sealed partial class AdmissionWebhookServer(
    IngressController controller,
    IOptions<AdmissionWebhookOptions> options,
    IOptions<RoutesOptions> routes,
    ILogger<AdmissionWebhookServer> logger) : IHostedService, IAsyncDisposable
{
    public const string Path = "/validate/ingresses";

    private WebApplication? _app;
    private (DateTime, DateTime, X509Certificate2?) _certificate;

    /// <summary>Where it listens, once started.</summary>
    public Uri? Url { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        DiagnosticsListener.TryParseAddress(settings.Address, out var address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, settings.Port, listen =>
            listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => Certificate(settings))));
        _app = builder.Build();
        _app.MapPost(Path, (Delegate)ReviewAsync);
        await _app.StartAsync(cancellationToken);
        var bound = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Url = new UriBuilder(bound) { Host = address.Equals(IPAddress.Any) ? "127.0.0.1" : bound.Host, Path = Path }.Uri;
        LogListening(Url);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task<IResult> ReviewAsync(HttpContext context)
    {
        JsonNode? review;
        try
        {
            review = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
            return Results.BadRequest("the body is not an AdmissionReview");
        }

        if (review?["request"] is not JsonObject request || request["uid"]?.GetValue<string>() is not { } uid)
        {
            return Results.BadRequest("the body is not an AdmissionReview v1 with a request.uid");
        }

        AdmissionVerdict verdict;
        if (request["kind"]?["kind"]?.GetValue<string>() != "Ingress" || request["object"] is not JsonObject obj)
        {
            // Another kind, or a deletion: nothing to judge.
            verdict = new AdmissionVerdict(true, null, []);
        }
        else
        {
            var ingress = KubernetesJson.Deserialize<V1Ingress>(obj.ToJsonString());
            // A create has no namespace in the object until it is admitted; the request names it.
            ingress.Metadata ??= new V1ObjectMeta();
            ingress.Metadata.NamespaceProperty ??= request["namespace"]?.GetValue<string>();
            if (controller.AdmissionObjects(ingress) is not { } current)
            {
                LogNotSynced();
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            verdict = current.Ours ? IngressAdmission.Review(ingress, current.Objects, routes.Value.Conversion) : new AdmissionVerdict(true, null, []);
            if (!verdict.Allowed)
            {
                LogDenied(request["namespace"]?.GetValue<string>() ?? "", ingress.Metadata.Name ?? "", verdict.Message!);
            }
        }

        var response = new JsonObject { ["uid"] = uid, ["allowed"] = verdict.Allowed };
        if (!verdict.Allowed)
        {
            response["status"] = new JsonObject { ["code"] = StatusCodes.Status400BadRequest, ["message"] = verdict.Message };
        }

        if (!verdict.Warnings.IsEmpty)
        {
            // The API server drops warnings over 256 characters each.
            response["warnings"] = new JsonArray([.. verdict.Warnings.Select(w => JsonValue.Create(w.Length > 256 ? w[..253] + "..." : w))]);
        }

        return Results.Json(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response });
    }

    /// <summary>The certificate as of the files now on disk: cert-manager renews the Secret, the kubelet updates the files.</summary>
    private X509Certificate2? Certificate(AdmissionWebhookOptions settings)
    {
        var stamp = (File.GetLastWriteTimeUtc(settings.CertificateFile), File.GetLastWriteTimeUtc(settings.KeyFile));
        var current = _certificate;
        if ((current.Item1, current.Item2) == stamp && current.Item3 is not null)
        {
            return current.Item3;
        }

        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(settings.CertificateFile, settings.KeyFile);
            // Through PKCS#12, so SslStream can use the key on every platform.
            var loaded = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            _certificate = (stamp.Item1, stamp.Item2, loaded);
            return loaded;
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            // Caught half-renewed: keep the previous certificate until the files agree again.
            LogCertificateUnreadable(e);
            return current.Item3;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Admission webhook listening on {Url}")]
    private partial void LogListening(Uri url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admission webhook denied Ingress {Namespace}/{Name}: {Reason}")]
    private partial void LogDenied(string @namespace, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission webhook asked before the informer caches synced: answered 503 (the failurePolicy decides)")]
    private partial void LogNotSynced();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission webhook certificate files cannot be read; keeping the previous certificate")]
    private partial void LogCertificateUnreadable(Exception exception);
}
