/// The JSON wire format of an envelope (see docs/wire-format.md):
///
/// ```json
/// {"schema":1,"id":"main/md:7","type":"bar","topic":"market.bar.AAPL","source":"main/md","seq":7,
///  "time":"2024-01-02T00:00:00Z","published":"2026-11-22T10:00:00.125Z",
///  "correlation":"AAPL@2024-01-02T00:00:00Z","data":{"symbol":"AAPL", …}}
/// ```
///
/// Only `type` and `data` are required on input, so a shell or Python client can publish
/// a bar with `redis-cli`. Missing envelope fields take documented defaults.
public enum EventCodec {
    /// Appends the envelope's JSON to `w`.
    public static func encode(_ e: Envelope, into w: inout JSONWriter) {
        w.beginObject()
        w.field("schema", e.schema)
        w.key("id")
        w.out.append(0x22)
        if let f = e.foreignID { w.out.appendEscapedBody(f) } else { EventID(source: e.source, seq: e.seq).writeEscaped(to: w.out) }
        w.out.append(0x22)
        w.key("type"); w.appendQuoted(e.payload.typeName)
        w.field("topic", e.topic)
        w.field("source", e.source)
        w.field("seq", e.seq)
        w.field("time", e.time)
        w.field("published", e.published)
        w.field("correlation", e.correlation)
        if let c = e.causation {
            w.key("causation")
            w.out.append(0x22)
            c.writeEscaped(to: w.out)
            w.out.append(0x22)
        }
        w.key("data")
        e.payload.encode(to: &w)
        w.endObject()
    }

    public static func encode(_ e: Envelope) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        encode(e, into: &w)
        return w.bytes
    }

    public static func encodeString(_ e: Envelope) -> String {
        String(decoding: encode(e), as: UTF8.self)
    }

    /// Decodes one envelope.
    /// - Parameters:
    ///   - channel: the topic the message arrived on; used when the message has no `topic`.
    ///   - receivedAt: used when the message has no `published` time.
    ///   - cache: what this thread remembers from earlier messages (the strings and the
    ///     second that events repeat: see ``DecodeCache``); one per thread.
    public static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, channel: String? = nil, receivedAt: Timestamp? = nil,
        cache: DecodeCache? = nil
    ) throws(WireError) -> Envelope {
        // Our own encoder's layout first: fixed keys in a fixed order, read without key
        // dispatch, straight into the envelope. Anything else (another key order, whitespace,
        // an error, a value the checks refuse) is read by the general parser from the start,
        // which also words the errors.
        var r = JSONReader(bytes)
        if let e = canonical(&r, cache: cache, channel: channel) { return e }
        return try decodeGeneral(bytes, channel: channel, receivedAt: receivedAt)
    }

    /// Anything but our encoder's exact layout (kept out of `decode`, whose common path
    /// is the canonical one).
    @inline(never)
    static func decodeGeneral(_ bytes: UnsafeBufferPointer<UInt8>, channel: String?, receivedAt: Timestamp?) throws(WireError) -> Envelope {
        var r = JSONReader(bytes)
        var h = Header()
        try general(&r, &h)
        let e = try finish(h, &r, channel: channel, receivedAt: receivedAt)
        // The topic must be one a publisher could have published (no spaces, glob
        // characters or empty segments).
        if let p = Topic.validate(e.topic) { throw WireError(p) }
        try checkChannel(e.topic, channel)
        return e
    }

    /// A received topic must be the channel it came on: a subscriber matched the channel,
    /// so another topic inside would reach handlers that did not ask for it.
    @inline(__always) static func checkChannel(_ topic: String, _ channel: String?) throws(WireError) {
        if let channel, topic != channel {
            // Most often a publisher's channel prefix the subscriber was not given.
            let hint = channel.hasSuffix(topic) && channel.count > topic.count
                ? " (published under the prefix \"\(channel.dropLast(topic.count))\"? subscribe with the same prefix)" : ""
            throw WireError("topic \"\(topic)\" is not the channel \"\(channel)\" it came on" + hint)
        }
    }

    /// The envelope's fields as read, before defaults and checks.
    struct Header {
        var schema = Envelope.currentSchema
        var idSlice: JSONKey?
        var type: String?
        var knownType: EventType?
        var topic: String?
        var source: String?
        var seq: UInt64 = 0
        var time: Timestamp?
        var published: Timestamp?
        var correlation: String?
        var causation: EventID?
        var data: Range<Int>?
        var inlinePayload: Payload?
        var inlineError: WireError?
    }

    /// Reads exactly what `encode` writes into an envelope; nil at the first difference, or
    /// when a check of ``finish(_:_:channel:receivedAt:)`` would refuse it.
    static func canonical(_ r: inout JSONReader, cache: DecodeCache? = nil, channel: String? = nil) -> Envelope? {
        let strings = cache?.strings
        do throws(WireError) {
            guard r.consume("{\"schema\":") else { return nil }
            let schema = try r.readInt()
            guard schema == Envelope.currentSchema, r.consume(",\"id\":") else { return nil }
            let idSlice = try r.readStringSlice()
            guard r.consume(",\"type\":"), let known = EventType(wireName: try r.readStringSlice()),
                  r.consume(",\"topic\":") else { return nil }
            // Checked on its bytes (a topic no publisher could have published, or one that
            // is not plain ASCII: the general reader decides and says why).
            let topicKey = try r.readStringSlice()
            let topicBytes = UnsafeBufferPointer(start: topicKey.base, count: topicKey.count)
            guard !topicKey.escaped, Topic.isValid(topicBytes, asciiOnly: true) else { return nil }
            let topic = strings?.string(utf8: topicBytes) ?? String(decoding: topicBytes, as: UTF8.self)
            // Another topic than its channel: refused by the general reader, with the reason.
            if let channel, topic != channel { return nil }
            guard r.consume(",\"source\":") else { return nil }
            let source = try r.readString(interning: strings)
            guard r.consume(",\"seq\":") else { return nil }
            let seq = try r.readUInt64()
            // Only an id that is `<source>:<seq>` (what `encode` writes for a local event).
            guard idSlice.isEventID(source: source, seq: seq), r.consume(",\"time\":") else { return nil }
            let time = try r.readTimestamp(cache: cache)
            guard r.consume(",\"published\":") else { return nil }
            let published = try r.readTimestamp(cache: cache)
            let correlation = r.consume(",\"correlation\":") ? try r.readString(interning: strings) : nil
            let causation = r.consume(",\"causation\":") ? EventID(wire: try r.readStringSlice(), interning: strings) : nil
            guard r.consume(",\"data\":") else { return nil }
            let payload = try Payload.decode(known, from: &r)
            // The Redis transport appends the per-topic sequence last (read by the transport).
            if r.consume(",\"topicSeq\":") { _ = try r.readUInt64() }
            guard r.consume("}") else { return nil }
            try r.expectEnd()
            if case .bar(let b) = payload, b.problem != nil { return nil }
            return Envelope(
                topic: topic, source: source, seq: seq, time: time, published: published,
                correlation: correlation, causation: causation, payload: payload, foreignID: nil, schema: schema)
        } catch {
            return nil
        }
    }

    /// Reads any envelope object: keys in any order, whitespace, unknown keys skipped.
    static func general(_ r: inout JSONReader, _ h: inout Header) throws(WireError) {
        r.skipWhitespace()
        guard r.peekByte() == 0x7B else {
            throw r.isAtEnd ? WireError("empty message") : WireError("message is not a JSON object", offset: r.pos)
        }
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            do throws(WireError) { try member(k, &r, &h) } catch {
                // Named by its field: `type: expected a string, found 5`.
                var e = error
                if !(k == "data") { e.message = "\(k.string): \(e.message)" }
                throw e
            }
        }
        try r.expectEnd()
    }

    /// Reads the value of the envelope's member `k` into the header.
    @inline(__always) static func member(_ k: JSONKey, _ r: inout JSONReader, _ h: inout Header) throws(WireError) {
            if k == "data" {
                if let known = h.knownType {
                    // Our own encoder writes `type` first: decode in place, no second pass.
                    r.skipWhitespace()
                    let start = r.mark
                    do throws(WireError) {
                        h.inlinePayload = try Payload.decode(known, from: &r)
                    } catch {
                        h.inlineError = error
                        r.rewind(to: start)
                        try r.skipValue()
                    }
                    h.data = start.pos..<r.pos
                } else {
                    h.data = try r.captureValue()
                }
            } else if k == "type" {
                let slice = try r.readStringSlice()
                h.knownType = EventType(wireName: slice)
                h.type = h.knownType?.rawValue ?? slice.string
            } else if k == "topic" {
                h.topic = try r.readString()
            } else if k == "source" {
                h.source = try r.readString()
            } else if k == "seq" {
                h.seq = try r.readUInt64()
            } else if k == "id" {
                h.idSlice = try r.readStringSlice()
            } else if k == "time" {
                h.time = try r.readTimestamp()
            } else if k == "published" {
                h.published = try r.readTimestamp()
            } else if k == "correlation" {
                h.correlation = r.readNullIfPresent() ? nil : try r.readString()
            } else if k == "causation" {
                h.causation = r.readNullIfPresent() ? nil : EventID(wire: try r.readStringSlice())
            } else if k == "schema" {
                h.schema = try r.readInt()
            } else if k == "topicSeq" {
                // The Redis transport's per-topic count (read there): must be one.
                guard (try? r.readUInt64()).map({ $0 >= 1 }) == true else { throw WireError("topicSeq: expected an integer ≥ 1") }
            } else {
                try r.skipValue()
            }
    }

    /// Checks what was read, applies the documented defaults and builds the envelope.
    static func finish(_ h: Header, _ r: inout JSONReader, channel: String?, receivedAt: Timestamp?) throws(WireError) -> Envelope {
        let schema = h.schema
        guard schema <= Envelope.currentSchema else {
            throw WireError("schema version \(schema) is newer than this build understands (\(Envelope.currentSchema))")
        }
        guard schema >= 1 else { throw WireError("invalid schema version \(schema)") }
        guard let type = h.type else { throw WireError("missing field \"type\"") }
        guard !type.isEmpty else { throw WireError("type: empty") }
        guard let data = h.data else { throw WireError("missing field \"data\"") }
        let payload: Payload
        if let inlinePayload = h.inlinePayload {
            payload = inlinePayload
        } else if let known = h.knownType {
            if var e = h.inlineError {
                e.message = "\(type): \(e.message)"
                throw e
            }
            var sub = r.subReader(data)
            do throws(WireError) {
                payload = try Payload.decode(known, from: &sub)
            } catch {
                var e = error
                e.message = "\(type): \(e.message)"
                if let o = e.offset { e.offset = o + data.lowerBound }
                throw e
            }
        } else {
            // An event of a type this build does not know is kept whole, but it is an object.
            guard r.byte(at: data.lowerBound) == 0x7B else { throw WireError("\(type): data: expected an object", offset: data.lowerBound) }
            payload = .raw(RawEvent(type: type, json: r.text(data)))
        }
        // A bar that could not have traded is refused like bad bytes, so no agent fills at a
        // price outside it (files are checked by their reader; this covers the bus).
        if case .bar(let b) = payload, let problem = b.problem { throw WireError("bar: \(problem)") }
        guard let resolvedTopic = h.topic ?? channel ?? payload.defaultTopic else {
            throw WireError("missing field \"topic\" (required for events of unknown type \"\(type)\")")
        }
        let src = h.source ?? "external"
        let seq = h.seq
        guard let resolvedTime = h.time ?? payload.eventTime ?? h.published ?? receivedAt else {
            throw WireError("missing field \"time\"")
        }
        return Envelope(
            schema: schema,
            id: h.idSlice.flatMap { $0.isEventID(source: src, seq: seq) ? nil : EventID(parsing: $0.string) },
            topic: resolvedTopic, source: src, seq: seq, time: resolvedTime,
            published: h.published ?? receivedAt ?? resolvedTime,
            correlation: h.correlation, causation: h.causation, payload: payload)
    }

    public static func decode(_ text: String, channel: String? = nil, receivedAt: Timestamp? = nil) throws(WireError) -> Envelope {
        var s = text
        let result: Result<Envelope, WireError> = s.withUTF8 { u in
            do throws(WireError) { return .success(try decode(u, channel: channel, receivedAt: receivedAt)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func decode(_ bytes: [UInt8], channel: String? = nil, receivedAt: Timestamp? = nil) throws(WireError) -> Envelope {
        let result: Result<Envelope, WireError> = bytes.withUnsafeBufferPointer { u in
            do throws(WireError) { return .success(try decode(u, channel: channel, receivedAt: receivedAt)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Foundation `Codable` for envelopes: the same JSON shape, used to compare coders in
/// `agora bench codec` and to prove in tests that the two agree.
extension Envelope: Codable {
    enum CodingKeys: String, CodingKey {
        case schema, id, type, topic, source, seq, time, published, correlation, causation, data
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try c.decodeIfPresent(Int.self, forKey: .schema) ?? Envelope.currentSchema
        let type = try c.decode(String.self, forKey: .type)
        let payload: Payload
        if let known = EventType(rawValue: type) {
            payload = try Payload.decode(known, codable: try c.superDecoder(forKey: .data))
        } else {
            payload = .raw(RawEvent(type: type, json: try c.decode(JSONValue.self, forKey: .data).description))
        }
        let source = try c.decodeIfPresent(String.self, forKey: .source) ?? "external"
        let seq = try c.decodeIfPresent(UInt64.self, forKey: .seq) ?? 0
        let time = try c.decodeIfPresent(Timestamp.self, forKey: .time) ?? payload.eventTime ?? .epoch
        self.init(
            schema: schema,
            id: try c.decodeIfPresent(String.self, forKey: .id).map { EventID(parsing: $0) },
            topic: try c.decodeIfPresent(String.self, forKey: .topic) ?? payload.defaultTopic ?? "",
            source: source, seq: seq, time: time,
            published: try c.decodeIfPresent(Timestamp.self, forKey: .published) ?? time,
            correlation: try c.decodeIfPresent(String.self, forKey: .correlation),
            causation: try c.decodeIfPresent(String.self, forKey: .causation).map { EventID(parsing: $0) },
            payload: payload)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(id.description, forKey: .id)
        try c.encode(type, forKey: .type)
        try c.encode(topic, forKey: .topic)
        try c.encode(source, forKey: .source)
        try c.encode(seq, forKey: .seq)
        try c.encode(time, forKey: .time)
        try c.encode(published, forKey: .published)
        try c.encodeIfPresent(correlation, forKey: .correlation)
        try c.encodeIfPresent(causation?.description, forKey: .causation)
        try payload.encode(codable: c.superEncoder(forKey: .data))
    }
}
