using Orleans.Proxy.Edge.Hosting;

InlineSocketCompletions.EnableUnlessSet();
var builder = WebApplication.CreateBuilder(EdgeArguments.Normalize(args));
builder.AddOrleansProxyEdge();
var app = builder.Build();
app.MapOrleansProxyEdge();
app.Run();
