using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Hosting;

namespace Orleans.Proxy.Hosting;

/// <summary>
/// Defaults in code rather than in appsettings.json: the embedded host references both the silo
/// and the edge, and two appsettings.json files on one publish path fail the build (NETSDK1152).
/// Every configuration source (files, environment, command line) still overrides them.
/// </summary>
public static class ProxyHostDefaults
{
    /// <summary>Quiet framework logs; the proxy's own at Information.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Logging = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
        ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Orleans.Proxy"] = "Information",
        ["Logging:LogLevel:Polly"] = "Warning",
        ["Logging:LogLevel:Yarp"] = "Warning",
    };

    /// <summary>Adds <paramref name="defaults"/> below every other configuration source.</summary>
    public static void AddConfigurationDefaults(this IHostApplicationBuilder builder, IEnumerable<KeyValuePair<string, string?>> defaults) =>
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
}
