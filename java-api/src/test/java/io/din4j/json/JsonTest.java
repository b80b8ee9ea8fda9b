package io.din4j.json;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Activation;
import io.din4j.model.ModelConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void roundTripsValues() {
        String text = "{\"a\": [1, -2.5, 1e-3, true, null, \"x\\\"y\\n\\u00e9\"], \"b\": {\"c\": []}, \"big\": 12345678901}";
        Map<String, Object> m = Json.parseObject(text);
        assertEquals(List.of(1L, -2.5, 1e-3, true), ((List<?>) m.get("a")).subList(0, 4));
        assertNull(((List<?>) m.get("a")).get(4));
        assertEquals("x\"y\né", ((List<?>) m.get("a")).get(5));
        assertEquals(12345678901L, m.get("big"));
        assertEquals(m, Json.parseObject(Json.write(m)));
        // Doubles survive exactly.
        double d = 0.1 + 0.2;
        assertEquals(d, Json.parseObject(Json.write(Map.of("d", d))).get("d"));
    }

    @Test
    void errorsNameThePosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\n \"a\": [1, }"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1} x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1, \"a\": 2}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"unterminated"));
    }

    @Test
    void modelConfigRoundTrips() {
        ModelConfig c = ModelConfig.builder(ModelConfig.Type.DIN_PLE).embeddingDim(8).attentionHidden(16, 8)
                .attentionSoftmax(true).mlpActivation(Activation.PRELU).levels(3).specificExperts(2).sharedExperts(3)
                .expertHidden(32, 16).towerHidden(8, 4)
                .tasks(List.of(new ModelConfig.TaskSpec("click", 1, 1), new ModelConfig.TaskSpec("buy", 0.5, 0.9)))
                .maxHistory(20).seed(42).build();
        ModelConfig back = ModelConfig.fromJson(Json.parseObject(Json.write(c.toJson())));
        assertEquals(c, back);
        assertEquals(0.5 * 0.9 * 0.9, back.tasks().get(1).weightAt(2), 1e-15);
        // Defaults are the papers'.
        ModelConfig d = ModelConfig.fromJson(Map.of("type", "din"));
        assertEquals(32, d.embeddingDim());
        assertArrayEquals(new int[] {80, 40}, d.attentionHidden());
        assertArrayEquals(new int[] {200, 80}, d.mlpHidden());
        assertEquals(Activation.DICE, d.mlpActivation());
        assertFalse(d.attentionSoftmax());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(Map.of("type", "gbdt")));
        assertTrue(e.getMessage().contains("gbdt"));
    }
}
