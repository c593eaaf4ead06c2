using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.Authentication;

/// <summary>Section "Authentication" of the edge. Authentication itself is switched on per Ingress (auth-type, auth-url).</summary>
public sealed class AuthenticationOptions
{
    public const string Section = "Authentication";

    /// <summary>Longest time an auth-url subrequest may take (connecting included); past it the request is answered 500.</summary>
    public TimeSpan ExternalTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class AuthenticationOptionsValidator : IValidateOptions<AuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthenticationOptions options) =>
        options.ExternalTimeout > TimeSpan.Zero && options.ExternalTimeout <= TimeSpan.FromMinutes(5)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{AuthenticationOptions.Section}:{nameof(AuthenticationOptions.ExternalTimeout)} is {options.ExternalTimeout}; it must be above 0 and at most 00:05:00");
}
