using Orleans.Proxy.Edge.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Diagnostics;

if (DiagnosticsCommand.IsCommand(args))
{
    return await DiagnosticsCommand.RunAsync(args[1..], Console.Out);
}

return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(DiagnosticsHostingExtensions.NormalizeArguments(args));
    builder.AddOrleansProxyEdge();
    var app = builder.Build();
    app.MapOrleansProxyEdge();
    app.Run();
});
