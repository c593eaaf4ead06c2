using Orleans.Proxy.Edge.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Silo.Hosting;

if (DiagnosticsCommand.IsCommand(args))
{
    return await DiagnosticsCommand.RunAsync(args[1..], Console.Out);
}

InlineSocketCompletions.EnableUnlessSet();
return StartupErrors.Run(() =>
{
    var builder = WebApplication.CreateBuilder(EdgeArguments.Normalize(args));
    builder.AddOrleansProxyEdge();
    var app = builder.Build();
    app.MapOrleansProxyEdge();
    app.Run();
});
