using System.Globalization;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>Reads one sample from Prometheus text exposition.</summary>
internal static class PrometheusText
{
    /// <summary>The value of the series <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null when absent.</summary>
    public static double? Value(string exposition, string name, params (string Name, string Value)[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            if (labels.All(l => line.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                // "name{labels} value [timestamp]"
                var rest = line[(line.LastIndexOf('}') is var close and >= 0 ? close + 1 : name.Length)..].Trim();
                return double.Parse(rest.Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    public static bool Has(string exposition, string name) => Value(exposition, name) is not null;
}
