using System.Collections.Immutable;

namespace Orleans.Proxy.Translation.Ingress.Incremental;

/// <summary>
/// Where an input differs from the last one: from the first object that is not the same (by reference) at its place,
/// counted from the start, to the last one, counted from the end. Both route sources hand over the same object for one
/// that did not change, so the objects outside the range are the last input's, in the same order.
/// </summary>
internal readonly record struct ChangedRange(int From, int Tail)
{
    public static ChangedRange Of<T>(ImmutableArray<T> current, ImmutableArray<T> previous)
        where T : class
    {
        var from = 0;
        var common = Math.Min(current.Length, previous.Length);
        while (from < common && ReferenceEquals(current[from], previous[from]))
        {
            from++;
        }

        var tail = 0;
        while (tail < common - from && ReferenceEquals(current[^(tail + 1)], previous[^(tail + 1)]))
        {
            tail++;
        }

        return new(from, tail);
    }

    /// <summary>The objects of <paramref name="input"/> (the current or the previous one) inside the range.</summary>
    public ReadOnlySpan<T> In<T>(ImmutableArray<T> input) => input.AsSpan(From, input.Length - Tail - From);
}
