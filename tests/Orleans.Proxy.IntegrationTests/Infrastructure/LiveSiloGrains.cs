using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// The grain factory of the first live silo of a test cluster, looked up on every call: what the
/// silo's route source uses (calls from inside a silo), surviving the loss of any one silo.
/// </summary>
internal class LiveSiloGrains : DispatchProxy
{
    private InProcessTestCluster _cluster = null!;

    public static IGrainFactory For(InProcessTestCluster cluster)
    {
        var proxy = Create<IGrainFactory, LiveSiloGrains>();
        ((LiveSiloGrains)(object)proxy)._cluster = cluster;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var silo = _cluster.Silos.First(s => s.IsActive);
        try
        {
            return targetMethod!.Invoke(silo.ServiceProvider.GetRequiredService<IGrainFactory>(), args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
