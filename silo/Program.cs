using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Silo.Hosting;
using Orleans.Proxy.Silo.Migration;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;

if (MigrationCommand.IsCommand(args))
{
    return await MigrationCommand.RunAsync(args[1..], Console.Out);
}

return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(IngressControllerExtensions.NormalizeArguments(DiagnosticsHostingExtensions.NormalizeArguments(args)));
    builder.AddConfigurationDefaults(ProxyHostDefaults.Logging.Append(new KeyValuePair<string, string?>($"{DiagnosticsOptions.Section}:{nameof(DiagnosticsOptions.Port)}", "9092")));
    builder.AddOrleansProxySilo();
    builder.AddProxyDiagnostics("orleans-proxy-silo");
    builder.Services.AddHealthChecks();
    var app = builder.Build();
    app.MapProxyDiagnostics(endpoints =>
    {
        endpoints.MapHealthChecks("/health/live");
        endpoints.MapHealthChecks("/health/ready");
    });
    app.Run();
});
