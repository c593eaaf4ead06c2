using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Proxy.Hosting.Tls;

public static partial class ClusterTlsExtensions
{
    /// <summary>
    /// Reads Cluster:Tls: the certificate files when TLS is configured, null when it is not (localhost,
    /// embedded, or Cluster:Tls:Disabled=true). Kubernetes clustering without TLS configured is refused:
    /// any pod that reaches the silo or gateway ports could otherwise read every private key and
    /// rewrite every route.
    /// </summary>
    public static ClusterCertificateFiles? LoadClusterCertificates(this IConfiguration configuration, ClusteringMode clustering, bool server)
    {
        var options = configuration.GetSection(ClusterTlsOptions.Section).Get<ClusterTlsOptions>() ?? new ClusterTlsOptions();
        if (options.IsConfigured)
        {
            return ClusterCertificateFiles.Load(options, server);
        }

        if (clustering == ClusteringMode.Kubernetes && !options.Disabled)
        {
            throw new OptionsValidationException(ClusterTlsOptions.Section, typeof(ClusterTlsOptions),
            [
                $"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.Directory)}: not set, and Cluster:Clustering is Kubernetes: without TLS any pod that reaches the silo or gateway ports " +
                "can call every grain (read private keys, rewrite routes). Mount the cluster TLS Secret (tls.crt, tls.key, ca.crt) and set Cluster:Tls:Directory to it, " +
                "or set Cluster:Tls:Disabled=true to run without TLS knowingly.",
            ]);
        }

        return null;
    }

    /// <summary>Mutual TLS to the gateways for an edge's Orleans client, when Cluster:Tls says so (see <see cref="LoadClusterCertificates"/>).</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder client, IConfiguration configuration, ClusteringMode clustering)
    {
        var files = configuration.LoadClusterCertificates(clustering, server: false);
        client.Services.AddClusterTlsLogging(files, clustering);
        if (files is null)
        {
            return client;
        }

        var timeout = configuration.GetSection(ClusterTlsOptions.Section).Get<ClusterTlsOptions>()!.HandshakeTimeout;
        client.Configure<ClientConnectionOptions>(connections => connections.ConfigureConnection(builder => builder.Use(next => TlsClientConnection.Use(next, files, timeout))));
        return client;
    }

    /// <summary>Logs the certificate in use at start (and gives the files their logger), or warns that TLS is off in Kubernetes.</summary>
    public static IServiceCollection AddClusterTlsLogging(this IServiceCollection services, ClusterCertificateFiles? files, ClusteringMode clustering)
    {
        services.AddHostedService(sp => new ClusterTlsLogging(files, clustering == ClusteringMode.Kubernetes, sp.GetRequiredService<ILoggerFactory>()));
        if (files is not null)
        {
            services.AddSingleton(files);
        }

        return services;
    }

    private sealed partial class ClusterTlsLogging(ClusterCertificateFiles? files, bool kubernetes, ILoggerFactory loggers) : IHostedService
    {
        private readonly ILogger _logger = loggers.CreateLogger("Orleans.Proxy.Hosting.Tls.ClusterTls");

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (files is null)
            {
                if (kubernetes)
                {
                    LogDisabled(_logger);
                }

                return Task.CompletedTask;
            }

            files.Logger = _logger;
            var certificate = files.Certificate;
            LogEnabled(_logger, certificate.Subject, certificate.Thumbprint, certificate.NotAfter, string.Join(", ", files.Authorities.Select(a => a.Subject)));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "Cluster connections use mutual TLS: certificate {Subject} ({Thumbprint}), valid until {NotAfter:u}; peers must chain to {Authorities}")]
        private static partial void LogEnabled(ILogger logger, string subject, string thumbprint, DateTime notAfter, string authorities);

        [LoggerMessage(Level = LogLevel.Critical, Message = "Cluster:Tls:Disabled=true with Kubernetes clustering: cluster connections are NOT authenticated; any pod that reaches the silo or gateway ports can read private keys and rewrite routes")]
        private static partial void LogDisabled(ILogger logger);
    }
}
