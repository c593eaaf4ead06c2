using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Embedded.Hosting;
using Orleans.Proxy.Hosting;

return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(EmbeddedArguments.Normalize(args));
    builder.AddOrleansProxyEmbedded();
    var app = builder.Build();
    app.MapOrleansProxyEdge();
    app.Run();
});
