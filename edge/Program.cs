using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Silo.Hosting;

return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(EdgeArguments.Normalize(args));
    builder.AddOrleansProxyEdge();
    var app = builder.Build();
    app.MapOrleansProxyEdge();
    app.Run();
});
