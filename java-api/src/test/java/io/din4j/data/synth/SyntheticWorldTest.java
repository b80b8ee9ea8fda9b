package io.din4j.data.synth;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.Row;
import io.din4j.data.synth.SyntheticWorld.Config;
import io.din4j.data.synth.SyntheticWorld.Sample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticWorldTest {
    private static final Config SMALL = Config.defaults().withUsers(300).withCatalogue(700, 23).withHistory(0, 17)
            .withSamplesPerUser(11).withTwoTasks(true).withSeed(7);

    @Test
    void sameSeedSameWorldOtherSeedOtherWorld() {
        List<Sample> a = SyntheticWorld.of(SMALL).samples(false);
        List<Sample> b = SyntheticWorld.of(SMALL).samples(false);
        List<Sample> c = SyntheticWorld.of(SMALL.withSeed(8)).samples(false);
        assertEquals(a.size(), b.size());
        int differ = 0;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).item(), b.get(i).item(), "sample " + i);
            assertArrayEquals(a.get(i).historyItems(), b.get(i).historyItems(), "sample " + i);
            assertEquals(a.get(i).click(), b.get(i).click(), "sample " + i);
            differ += a.get(i).item() != c.get(i).item() ? 1 : 0;
        }
        assertTrue(differ > a.size() / 2, "another seed changed only " + differ + " of " + a.size() + " candidates");
    }

    @Test
    void samplesRespectTheConfiguredShapes() {
        SyntheticWorld w = SyntheticWorld.of(SMALL);
        List<Sample> train = w.samples(false);
        List<Sample> test = w.samples(true);
        int perUserTest = SMALL.testSamplesPerUser();
        assertEquals(SMALL.users() * perUserTest, test.size());
        assertEquals(SMALL.users() * (SMALL.samplesPerUser() - perUserTest), train.size());
        boolean sawEmpty = false;
        boolean sawLongest = false;
        for (Sample s : train) {
            int len = s.historyItems().length;
            assertTrue(len >= SMALL.minHistory() && len <= SMALL.maxHistory(), "history length " + len);
            assertEquals(len, s.historyCategories().length);
            sawEmpty |= len == 0;
            sawLongest |= len == SMALL.maxHistory();
            assertTrue(s.item() >= 1 && s.item() <= SMALL.items(), "item " + s.item());
            assertEquals(w.categoryOf(s.item()), s.category());
            for (int t = 0; t < len; t++) {
                assertEquals(w.categoryOf(s.historyItems()[t]), s.historyCategories()[t]);
            }
            assertTrue(s.click() || !s.conversion(), "conversion without click");
        }
        assertTrue(sawEmpty && sawLongest, "history lengths should cover both ends of the range");
    }

    @Test
    void labelsFollowTheStatedProbabilitiesAndTheMatchingHistory() {
        List<Sample> all = SyntheticWorld.of(SMALL.withUsers(1500)).samples(false);
        double clicks = 0;
        double expected = 0;
        double variance = 0;
        double[] clicksByMatch = new double[2];
        double[] countByMatch = new double[2];
        for (Sample s : all) {
            clicks += s.click() ? 1 : 0;
            expected += s.clickProbability();
            variance += s.clickProbability() * (1 - s.clickProbability());
            int match = Arrays.stream(s.historyCategories()).anyMatch(c -> c == s.category()) ? 1 : 0;
            clicksByMatch[match] += s.click() ? 1 : 0;
            countByMatch[match]++;
        }
        // Labels are Bernoulli draws of the stated probabilities: the count stays within 5 standard deviations.
        assertTrue(Math.abs(clicks - expected) < 5 * Math.sqrt(variance), "clicks " + clicks + " vs expected " + expected);
        double ctrMatch = clicksByMatch[1] / countByMatch[1];
        double ctrNoMatch = clicksByMatch[0] / countByMatch[0];
        assertTrue(ctrMatch > ctrNoMatch + 0.2, "CTR with a matching behaviour " + ctrMatch + " vs without " + ctrNoMatch);
    }

    @Test
    void rowsLeaveConversionEmptyOutsideClicks(@TempDir Path dir) throws Exception {
        SyntheticWorld w = SyntheticWorld.of(SMALL.withUsers(20));
        List<Row> rows = w.rows(true);
        List<Sample> samples = w.samples(true);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            assertEquals(samples.get(i).click() ? 1f : 0f, r.labels()[0]);
            assertEquals(samples.get(i).click(), r.hasLabel(1));
            assertEquals(samples.get(i).historyItems().length, r.historyLength());
        }
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv.gz");
        w.write(train, test);
        List<String> lines = Files.readAllLines(train);
        assertEquals("click,conversion,user_id,item_id,cate_id,hist_item_id,hist_cate_id", lines.get(0));
        assertEquals(w.samples(false).size() + 1, lines.size());
    }
}
