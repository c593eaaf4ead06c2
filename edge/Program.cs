using Orleans.Proxy.Edge.Diagnostics;
using Orleans.Proxy.Edge.Hosting;

if (DiagnosticsCommand.IsCommand(args))
{
    return await DiagnosticsCommand.RunAsync(args[1..], Console.Out);
}

var builder = WebApplication.CreateBuilder(EdgeArguments.Normalize(args));
builder.AddOrleansProxyEdge();
var app = builder.Build();
app.MapOrleansProxyEdge();
app.Run();
return 0;
