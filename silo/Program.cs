using Orleans.Proxy.Silo.Hosting;

return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddOrleansProxySilo();
    builder.Services.AddHealthChecks();
    var app = builder.Build();
    app.MapHealthChecks("/health/live");
    app.MapHealthChecks("/health/ready");
    app.Run();
});
