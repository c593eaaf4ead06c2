using Orleans.Proxy.Silo.Diagnostics;
using Orleans.Proxy.Silo.Hosting;

return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(DiagnosticsHostingExtensions.NormalizeArguments(args));
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
