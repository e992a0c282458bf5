package dev.logtap.avrocheck;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Conversion;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Apache Avro Java as an independent referee for logtap's TypeScript Avro code.
 *
 * <p>Reads one JSON job from stdin, writes one JSON answer to stdout. Modes:
 * <ul>
 *   <li>{@code fingerprint}: {"schemas":[...]} → {"fingerprints":["16 hex digits"...],"canonical":["PCF"...]}
 *   <li>{@code decode}: {"schemas":[writer schemas...],"records":["base64 single-object bytes"...]} → {"values":[...]}
 * </ul>
 * Any failure: exit status 1 and one line on stderr.
 */
public final class AvroCheck {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();
  private static final int HEADER_LENGTH = 10;

  private AvroCheck() {}

  public static void main(String[] args) {
    try {
      if (args.length != 1) throw new IllegalArgumentException("usage: AvroCheck fingerprint|decode < job.json");
      JsonNode job = MAPPER.readTree(System.in);
      if (job == null || !job.isObject()) throw new IllegalArgumentException("stdin must hold one JSON object");
      switch (args[0]) {
        case "fingerprint" -> fingerprint(job, System.out);
        case "decode" -> decode(job, System.out);
        default -> throw new IllegalArgumentException("unknown mode " + args[0] + " (fingerprint|decode)");
      }
      System.out.flush();
    } catch (Throwable e) {
      String message = String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
      System.err.println("avrocheck: " + e.getClass().getSimpleName() + ": " + message);
      System.exit(1);
    }
  }

  private static List<Schema> parseSchemas(JsonNode job) {
    JsonNode schemas = job.get("schemas");
    if (schemas == null || !schemas.isArray()) throw new IllegalArgumentException("job lacks a \"schemas\" array");
    List<Schema> parsed = new ArrayList<>();
    for (int i = 0; i < schemas.size(); i++) {
      try {
        // A fresh parser each time: the schemas are independent and may reuse names.
        parsed.add(new Schema.Parser().parse(schemas.get(i).toString()));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("schema " + i + " does not parse: " + e.getMessage(), e);
      }
    }
    return parsed;
  }

  private static void fingerprint(JsonNode job, OutputStream out) throws IOException {
    List<Schema> schemas = parseSchemas(job);
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("fingerprints");
      for (Schema s : schemas) g.writeString(String.format("%016x", SchemaNormalization.parsingFingerprint64(s)));
      g.writeEndArray();
      g.writeArrayFieldStart("canonical");
      for (Schema s : schemas) g.writeString(SchemaNormalization.toParsingForm(s));
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  private static GenericData modelWithConversions() {
    GenericData model = new GenericData();
    model.addLogicalTypeConversion(new Conversions.DecimalConversion());
    model.addLogicalTypeConversion(new Conversions.UUIDConversion());
    model.addLogicalTypeConversion(new TimeConversions.DateConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
    model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
    return model;
  }

  private static void decode(JsonNode job, OutputStream out) throws IOException {
    List<Schema> schemas = parseSchemas(job);
    JsonNode records = job.get("records");
    if (records == null || !records.isArray()) throw new IllegalArgumentException("job lacks a \"records\" array");
    GenericData model = modelWithConversions();
    Map<Long, Schema> byFingerprint = new HashMap<>();
    Map<Long, BinaryMessageDecoder<Object>> decoders = new HashMap<>();
    for (Schema s : schemas) {
      long fp = SchemaNormalization.parsingFingerprint64(s);
      byFingerprint.put(fp, s);
      // Each decoder knows only its own schema, so Avro's own header parsing must agree with ours.
      decoders.put(fp, new BinaryMessageDecoder<>(model, s));
    }
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("values");
      for (int i = 0; i < records.size(); i++) {
        byte[] bytes = Base64.getDecoder().decode(records.get(i).asText());
        try {
          if (bytes.length < HEADER_LENGTH || (bytes[0] & 0xff) != 0xc3 || (bytes[1] & 0xff) != 0x01) {
            throw new IllegalArgumentException("not single-object encoded (no C3 01 header)");
          }
          long fp = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
          Schema schema = byFingerprint.get(fp);
          if (schema == null) throw new IllegalArgumentException(String.format("no writer schema has fingerprint %016x", fp));
          Object value = decoders.get(fp).decode(bytes);
          requireNoTrailingBytes(schema, model, bytes);
          write(g, schema, value, model);
        } catch (RuntimeException | IOException e) {
          throw new IllegalArgumentException("record " + i + ": " + e.getMessage(), e);
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  /** BinaryMessageDecoder ignores bytes after the datum; an encoder bug could hide there. */
  private static void requireNoTrailingBytes(Schema schema, GenericData model, byte[] bytes) throws IOException {
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, null);
    new GenericDatumReader<Object>(schema, schema, model).read(null, decoder);
    if (!decoder.isEnd()) throw new IllegalArgumentException("bytes left over after the datum");
  }

  private static void write(JsonGenerator g, Schema schema, Object value, GenericData model) throws IOException {
    LogicalType logical = schema.getLogicalType();
    if (logical != null && value != null) {
      if (value instanceof BigDecimal decimal) {
        g.writeString(decimal.toPlainString());
        return;
      }
      if (value instanceof UUID uuid) {
        g.writeString(uuid.toString());
        return;
      }
      Conversion<?> conversion = model.getConversionByClass(value.getClass(), logical);
      if (conversion != null) {
        // Dates and times go back to their raw int/long so the caller compares exact numbers, not formatted text.
        writeRaw(g, schema, Conversions.convertToRawType(value, schema, logical, conversion), model);
        return;
      }
    }
    writeRaw(g, schema, value, model);
  }

  private static void writeRaw(JsonGenerator g, Schema schema, Object value, GenericData model) throws IOException {
    switch (schema.getType()) {
      case NULL -> g.writeNull();
      case BOOLEAN -> g.writeBoolean((Boolean) value);
      case INT -> g.writeNumber((Integer) value);
      // Strings, so 64-bit values survive JavaScript's doubles and NaN/Infinity survive JSON.
      case LONG -> g.writeString(Long.toString((Long) value));
      case FLOAT -> g.writeString(Float.toString((Float) value));
      case DOUBLE -> g.writeString(Double.toString((Double) value));
      case STRING -> g.writeString(value.toString());
      case BYTES -> {
        ByteBuffer buf = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        g.writeString(HEX.formatHex(bytes));
      }
      case FIXED -> g.writeString(HEX.formatHex(((GenericFixed) value).bytes()));
      case ENUM -> g.writeString(((GenericEnumSymbol<?>) value).toString());
      case RECORD -> {
        GenericRecord record = (GenericRecord) value;
        g.writeStartObject();
        for (Schema.Field field : schema.getFields()) {
          g.writeFieldName(field.name());
          write(g, field.schema(), record.get(field.pos()), model);
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (Object item : (Collection<?>) value) write(g, schema.getElementType(), item, model);
        g.writeEndArray();
      }
      case MAP -> {
        // Avro Java reads maps into a HashMap: key order is not the writer's.
        g.writeStartObject();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
          g.writeFieldName(entry.getKey().toString());
          write(g, schema.getValueType(), entry.getValue(), model);
        }
        g.writeEndObject();
      }
      case UNION -> write(g, schema.getTypes().get(model.resolveUnion(schema, value)), value, model);
    }
  }
}
