using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Hosting;

/// <summary>Configuration mistakes end the process with the list of keys to fix, not a stack trace.</summary>
public static class StartupErrors
{
    public static int Run(Action run)
    {
        try
        {
            run();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            Console.Error.WriteLine("Configuration error, nothing was started:");
            foreach (var failure in e.Failures)
            {
                Console.Error.WriteLine($"  - {failure}");
            }

            return 2;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"Configuration error, nothing was started:\n  - {e.Message}");
            return 2;
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            Console.Error.WriteLine($"Cannot listen: {e.Message} Choose another port (Edge:Port, Diagnostics:Port, Cluster:SiloPort, Cluster:GatewayPort).");
            return 3;
        }
    }
}
