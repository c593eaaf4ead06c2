using System.Runtime.InteropServices;
using System.Security.Cryptography;
using YamlDotNet.Core;
using static Orleans.Proxy.Translation.Files.KubernetesYamlReader;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// Reads one route file each time it changes, parsing again only the YAML documents whose text changed
/// (<see cref="DocumentTexts"/>): the others keep their reading, objects and rejections, so a change costs what it
/// changed rather than the file. The result is what <see cref="KubernetesYamlReader.Read(string, byte[])"/> gives for the
/// file; where the documents cannot be shown to read alone as the file reads them (one does not parse or is over a limit,
/// the file's nodes are over the limit, a block scalar is a document's root, a document opens with a flow collection), the
/// file is read whole. An object read again that equals one of the previous reading is given as that object
/// (<see cref="UnchangedObjects"/>). Holds, per document text, its hash and reading from the last content not refused.
/// Not thread-safe: one reader per file.
/// </summary>
public sealed class IncrementalYamlReader
{
    // Readings of the texts of the last content not refused, by the hash of their text; several when equal texts repeat.
    private Dictionary<string, List<Reading>> _readings = new(StringComparer.Ordinal);
    private (string SourceName, byte[] Hash, Result Result)? _last;

    /// <summary>How many texts the last <see cref="Read"/> parsed, and how many documents' texts its reading is made of (1 when the file was read whole).</summary>
    public (int Parsed, int Texts) LastRead { get; private set; }

    public Result Read(string sourceName, byte[] content)
    {
        var hash = SHA256.HashData(content);
        if (_last is { } last && last.SourceName == sourceName && last.Hash.AsSpan().SequenceEqual(hash))
        {
            LastRead = LastRead with { Parsed = 0 };
            return last.Result;
        }

        var result = Decode(content) switch
        {
            (_, { } refusal) => Refused(sourceName, refusal, parsed: 0),
            var (text, _) => Read(sourceName, text!),
        };
        _last = (sourceName, hash, result);
        return result;
    }

    private Result Read(string sourceName, string yaml)
    {
        var texts = DocumentTexts.Split(yaml);
        var hashes = texts.ConvertAll(t => Hash(yaml.AsSpan(t.Start, t.Length)));
        var unused = Unused();
        var parsed = 0;
        if (texts.Count > 1)
        {
            if (ReadApart(yaml, texts, hashes, unused, ref parsed) is { } readings)
            {
                return Commit(sourceName, texts, hashes, readings, unused, parsed);
            }

            unused = Unused();
        }

        var whole = texts.Count == 1 ? hashes[0] : Hash(yaml);
        if (Take(unused, whole) is { } unchanged)
        {
            return Commit(sourceName, [new(0, yaml.Length, 0)], [whole], [(unchanged, false)], unused, parsed);
        }

        var (reading, refusal) = ReadText(yaml);
        return refusal is { } refused
            ? Refused(sourceName, refused, parsed + 1)
            : Commit(sourceName, [new(0, yaml.Length, 0)], [whole], [(reading!, true)], unused, parsed + 1);
    }

    /// <summary>
    /// Each text's reading, the previous one or its own, with whether it is new; null when the texts do not read alone as the
    /// file reads them. Every text is scanned before any is built, so nodes spread over many documents are refused unbuilt.
    /// </summary>
    private static List<(Reading Reading, bool New)>? ReadApart(
        string yaml, List<DocumentTexts.Text> texts, List<string> hashes, Dictionary<string, List<Reading>> unused, ref int parsed)
    {
        var scans = new (Reading? Previous, Scanned Scanned)[texts.Count];
        long nodes = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            if (Take(unused, hashes[i]) is { } previous)
            {
                scans[i] = (previous, previous.Scanned);
            }
            else
            {
                parsed++;
                try
                {
                    scans[i] = (null, Scan(yaml.Substring(texts[i].Start, texts[i].Length)));
                }
                catch (YamlException)
                {
                    return null;
                }
            }

            var scanned = scans[i].Scanned;
            nodes += scanned.Nodes;
            if (scanned.Exceeded is not null || nodes > MaxNodes || (i > 0 && scanned.DependsOnPrevious) || (i < texts.Count - 1 && scanned.MayContinue))
            {
                return null;
            }
        }

        var readings = new List<(Reading Reading, bool New)>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            if (scans[i].Previous is { } previous)
            {
                readings.Add((previous, false));
                continue;
            }

            try
            {
                readings.Add((Build(yaml.Substring(texts[i].Start, texts[i].Length), scans[i].Scanned), true));
            }
            catch (YamlException)
            {
                return null;
            }
        }

        return readings;
    }

    /// <summary>Keeps the readings as the file's, new objects equal to one of the readings no longer used given as that object.</summary>
    private Result Commit(
        string sourceName, List<DocumentTexts.Text> texts, List<string> hashes, List<(Reading Reading, bool New)> readings,
        Dictionary<string, List<Reading>> unused, int parsed)
    {
        var previous = new UnchangedObjects(unused.Values.SelectMany(r => r).SelectMany(r => r.Objects).Select(o => o.Value).OfType<object>());
        _readings = new(StringComparer.Ordinal);
        var kept = new List<(Reading, long)>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            var (reading, isNew) = readings[i];
            if (isNew)
            {
                reading = reading with { Objects = [.. reading.Objects.Select(o => o.Value is { } value ? o with { Value = previous.Keep(value) } : o)] };
            }

            (CollectionsMarshal.GetValueRefOrAddDefault(_readings, hashes[i], out _) ??= []).Add(reading);
            kept.Add((reading, texts[i].Line));
        }

        LastRead = (parsed, texts.Count);
        return Assemble(sourceName, kept);
    }

    /// <summary>A refused content keeps the readings of the last one, for when the file is fixed.</summary>
    private Result Refused(string sourceName, (string Field, string Reason) refusal, int parsed)
    {
        LastRead = (parsed, 1);
        return Refuse(sourceName, refusal);
    }

    private Dictionary<string, List<Reading>> Unused() => _readings.ToDictionary(r => r.Key, r => r.Value.ToList(), StringComparer.Ordinal);

    private static Reading? Take(Dictionary<string, List<Reading>> unused, string hash)
    {
        if (!unused.TryGetValue(hash, out var readings) || readings.Count == 0)
        {
            return null;
        }

        // The first, so that repeated texts keep their objects in order.
        var reading = readings[0];
        readings.RemoveAt(0);
        return reading;
    }

    private static string Hash(ReadOnlySpan<char> text) => Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(text)));
}
