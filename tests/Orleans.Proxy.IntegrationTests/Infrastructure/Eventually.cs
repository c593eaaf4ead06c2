namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition that becomes true asynchronously; the bound is generous, never the assertion.</summary>
internal static class Eventually
{
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}");
            }

            await Task.Delay(50);
        }
    }
}
