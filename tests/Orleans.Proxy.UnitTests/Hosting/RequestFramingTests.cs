using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.UnitTests.Hosting;

public sealed class RequestFramingTests
{
    private static async Task<(int Status, bool Forwarded, string Connection)> SendAsync(params (string Name, string Value)[] headers)
    {
        var forwarded = false;
        var app = new ApplicationBuilder(new EmptyServices());
        app.UseStrictRequestFraming();
        app.Run(_ =>
        {
            forwarded = true;
            return Task.CompletedTask;
        });
        var context = new DefaultHttpContext();
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        await app.Build()(context);
        return (context.Response.StatusCode, forwarded, context.Response.Headers.Connection.ToString());
    }

    [Fact]
    public async Task UseStrictRequestFraming_TransferEncodingWithContentLengthKestrelMoved_400AndClose() =>
        Assert.Equal((400, false, "close"), await SendAsync(("Transfer-Encoding", "chunked"), ("X-Content-Length", "48")));

    [Fact]
    public async Task UseStrictRequestFraming_TransferEncodingWithContentLength_400AndClose() =>
        Assert.Equal((400, false, "close"), await SendAsync(("Transfer-Encoding", "chunked"), ("Content-Length", "48")));

    [Theory]
    [InlineData("Transfer-Encoding", "chunked")]
    [InlineData("Content-Length", "5")]
    public async Task UseStrictRequestFraming_OneLength_Forwarded(string name, string value) =>
        Assert.Equal((200, true, string.Empty), await SendAsync((name, value)));

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
