namespace Orleans.Proxy.Edge.Hosting;

/// <summary>
/// Socket completions run on the socket engine's threads instead of hopping to the thread pool.
/// Nothing on the edge's request path blocks a thread, so the hop is pure cost: on the benchmark it
/// is the largest single saving per request. The runtime reads this only from the environment, once,
/// at the first socket; so the edge process sets it before anything opens one, unless it is already set
/// (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 turns it off).
/// </summary>
public static class InlineSocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void EnableUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
