namespace Orleans.Proxy.IntegrationTests.Infrastructure;

public sealed class TcpRelayTests
{
    [Fact]
    public async Task Relay_CutAndRestored_RequestsFailThenPassAgain()
    {
        await using var backend = await TestBackend.StartAsync("behind-relay");
        await using var relay = new TcpRelay(FreePorts.Next(), backend.Port);
        relay.Start();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{relay.Port}"), Timeout = TimeSpan.FromSeconds(5) };

        Assert.StartsWith("behind-relay ", await client.GetStringAsync("/a"));
        relay.Cut();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/b"));
        relay.Start();
        Assert.StartsWith("behind-relay ", await client.GetStringAsync("/c"));
    }
}
