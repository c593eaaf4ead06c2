using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.Proxy.Routing;

/// <summary>
/// HTTP Basic authentication for a route (ingress-nginx auth-type: basic): a request without the
/// credentials of one of <see cref="Users"/> is answered 401 at the edge.
/// </summary>
/// <param name="Realm">The realm the 401's WWW-Authenticate names.</param>
/// <param name="Users">The users and their password hashes (never plain passwords).</param>
[GenerateSerializer, Immutable, Alias("op.BasicAuthSpec")]
public sealed record BasicAuthSpec([property: Id(0)] string Realm, [property: Id(1)] ImmutableArray<BasicAuthUser> Users);

/// <summary>
/// One htpasswd entry: a user name and a password hash ($apr1$, $1$, $2a$/$2b$/$2y$, {SHA} or {SSHA}).
/// JSON views (diagnostics, golden files) show the hash redacted: it could be cracked offline.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.BasicAuthUser")]
public sealed record BasicAuthUser([property: Id(0)] string Name, [property: Id(1), JsonConverter(typeof(RedactedInJson))] string Hash);

/// <summary>Writes a string as "(redacted)"; reads it as it is.</summary>
public sealed class RedactedInJson : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString() ?? "";

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue("(redacted)");
}

/// <summary>
/// External authentication for a route (ingress-nginx auth-url): each request is first asked of
/// <see cref="Url"/>; a 2xx lets it through, 401 and 403 refuse it, anything else is a 500.
/// </summary>
/// <param name="Url">The auth service's absolute http(s) URL.</param>
/// <param name="Method">The subrequest's method.</param>
/// <param name="SignIn">Where a 401 is redirected (with <see cref="RedirectParameter"/> naming the original URL); null: the 401 is returned.</param>
/// <param name="ResponseHeaders">Headers copied from the auth service's 2xx answer onto the request sent to the backend.</param>
/// <param name="RequestRedirect">The subrequest's X-Auth-Request-Redirect; null: the original request's path and query.</param>
/// <param name="RedirectParameter">The query parameter of <see cref="SignIn"/> that carries the original URL.</param>
[GenerateSerializer, Immutable, Alias("op.ExternalAuthSpec")]
public sealed record ExternalAuthSpec(
    [property: Id(0)] string Url,
    [property: Id(1)] string Method,
    [property: Id(2)] string? SignIn,
    [property: Id(3)] ImmutableArray<string> ResponseHeaders,
    [property: Id(4)] string? RequestRedirect,
    [property: Id(5)] string RedirectParameter);
