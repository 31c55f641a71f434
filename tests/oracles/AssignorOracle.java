// The oracle for the engine's consumer-group assignors: runs the Java client's own
// RangeAssignor, RoundRobinAssignor, StickyAssignor and CooperativeStickyAssignor on the cases
// generate_cases.py writes, the way the group leader's ConsumerCoordinator runs them, and
// prints each assignment with its full input (the fixture assignors.txt).
//
// The fixture was recorded from the clients source of apache/kafka at 1eb7644349c (the 4.0
// development line, September 2024: the assignors are unchanged from 3.5, where rack-aware
// assignment came in; no rack is set here).
//
// Regenerate (needs a JDK and the kafka-clients jar with slf4j-api):
//   python3 generate_cases.py > cases.txt
//   javac -cp kafka-clients.jar:slf4j-api.jar AssignorOracle.java
//   java -cp .:kafka-clients.jar:slf4j-api.jar AssignorOracle < cases.txt > assignors.txt
//
// Input, one case at a time:
//   case ID ASSIGNOR
//   topics NAME:PARTITIONS ...
//   member MEMBER_ID INSTANCE_ID|- TOPIC,TOPIC... [GENERATION OWNED]   (the founding members,
//   optionally owning partitions T:P,T:P... from a generation)
//   step leave MEMBER_ID | step join MEMBER_ID INSTANCE_ID|- TOPICS | step rebalance
//   step resubscribe MEMBER_ID TOPICS
//   step away MEMBER_ID | step back MEMBER_ID   (dropped from the group for a generation: an
//   eager member comes back with its old user data and generation, a cooperative one with
//   nothing, having lost its partitions)
//   end
// Each rebalance (the first, then one per step) is printed as
//   assign ASSIGNOR CASE_ID STEP
//   topics ...
//   member MEMBER_ID INSTANCE_ID|- GENERATION|- TOPICS OWNED|-
//   expect MEMBER_ID PARTITIONS|-
//   end
// Every member of a step owns what the previous rebalance gave it, in that rebalance's
// generation; a member that joins owns nothing and has no generation.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.*;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

public class AssignorOracle {
    static final class Member {
        final String id;
        final String instance;
        List<String> topics;
        List<TopicPartition> owned = new ArrayList<>();
        int generation = -1;
        // Each member's own assignor instance: the eager StickyAssignor remembers its last
        // assignment and generation and sends them as its subscription's user data.
        ConsumerPartitionAssignor own;

        Member(String id, String instance, List<String> topics, String assignor) {
            this.id = id;
            this.instance = instance;
            this.topics = topics;
            this.own = assignorNamed(assignor);
        }
    }

    static ConsumerPartitionAssignor assignorNamed(String name) {
        switch (name) {
            case "range": return new RangeAssignor();
            case "roundrobin": return new RoundRobinAssignor();
            case "sticky": return new StickyAssignor();
            case "cooperative-sticky": return new CooperativeStickyAssignor();
            default: throw new IllegalArgumentException(name);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        String caseId = null, assignor = null;
        Map<String, Integer> topics = new TreeMap<>();
        List<Member> members = new ArrayList<>();
        List<String[]> steps = new ArrayList<>();
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 0 || w[0].isEmpty() || w[0].startsWith("#")) continue;
            switch (w[0]) {
                case "case":
                    caseId = w[1];
                    assignor = w[2];
                    topics.clear();
                    members.clear();
                    steps.clear();
                    break;
                case "topics":
                    for (int i = 1; i < w.length; i++) {
                        String[] tp = w[i].split(":");
                        topics.put(tp[0], Integer.parseInt(tp[1]));
                    }
                    break;
                case "member": {
                    Member m = new Member(w[1], w[2], Arrays.asList(w[3].split(",")), assignor);
                    if (w.length > 5) {
                        // A founding member that already owns partitions from a generation.
                        m.generation = Integer.parseInt(w[4]);
                        m.owned = parsePartitions(w[5]);
                        m.own.onAssignment(new Assignment(m.owned), new ConsumerGroupMetadata("oracle", m.generation, m.id, Optional.empty()));
                    }
                    members.add(m);
                    break;
                }
                case "step":
                    steps.add(w);
                    break;
                case "end":
                    runCase(out, caseId, assignor, topics, members, steps);
                    break;
                default:
                    throw new IllegalArgumentException("bad line: " + line);
            }
        }
        System.out.print(out);
    }

    static void runCase(StringBuilder out, String caseId, String assignor, Map<String, Integer> topics,
                        List<Member> members, List<String[]> steps) {
        Cluster cluster = cluster(topics);
        Map<String, Member> away = new HashMap<>();
        int generation = 0;
        for (Member m : members) generation = Math.max(generation, m.generation);
        for (int step = 0; step <= steps.size(); step++) {
            if (step > 0) {
                String[] s = steps.get(step - 1);
                if (s[1].equals("leave")) {
                    members.removeIf(m -> m.id.equals(s[2]));
                } else if (s[1].equals("join")) {
                    members.add(new Member(s[2], s[3], Arrays.asList(s[4].split(",")), assignor));
                } else if (s[1].equals("resubscribe")) {
                    for (Member m : members) {
                        if (m.id.equals(s[2])) m.topics = Arrays.asList(s[3].split(","));
                    }
                } else if (s[1].equals("away")) {
                    for (Iterator<Member> it = members.iterator(); it.hasNext();) {
                        Member m = it.next();
                        if (m.id.equals(s[2])) {
                            away.put(m.id, m);
                            it.remove();
                        }
                    }
                } else if (s[1].equals("back")) {
                    Member m = away.remove(s[2]);
                    if (assignor.equals("cooperative-sticky")) {
                        m.owned = new ArrayList<>();
                        m.generation = -1;
                    }
                    members.add(m);
                }
            }
            generation++;
            // The leader's view, as ConsumerCoordinator builds it: a HashMap by member id.
            Map<String, Subscription> subscriptions = new HashMap<>();
            for (Member m : members) {
                ByteBuffer userData = m.own.subscriptionUserData(new HashSet<>(m.topics));
                // The eager protocol revokes everything before it rejoins: only the
                // cooperative one sends owned partitions (the eager sticky assignor's own
                // memory travels in its user data).
                List<TopicPartition> owned = assignor.equals("cooperative-sticky") ? m.owned : Collections.emptyList();
                Subscription sub = new Subscription(m.topics, userData, owned,
                    m.generation, Optional.empty());
                if (!m.instance.equals("-")) sub.setGroupInstanceId(Optional.of(m.instance));
                subscriptions.put(m.id, sub);
            }
            ConsumerPartitionAssignor leader = assignorNamed(assignor);
            Map<String, Assignment> result =
                leader.assign(cluster, new GroupSubscription(subscriptions)).groupAssignment();

            out.append("assign ").append(assignor).append(' ').append(caseId).append(' ').append(step).append('\n');
            out.append("topics");
            for (Map.Entry<String, Integer> t : topics.entrySet()) out.append(' ').append(t.getKey()).append(':').append(t.getValue());
            out.append('\n');
            for (Member m : members) {
                out.append("member ").append(m.id).append(' ').append(m.instance).append(' ')
                    .append(m.generation < 0 ? "-" : Integer.toString(m.generation)).append(' ')
                    .append(String.join(",", m.topics)).append(' ').append(partitions(m.owned)).append('\n');
            }
            for (Member m : members) {
                List<TopicPartition> got = result.get(m.id).partitions();
                out.append("expect ").append(m.id).append(' ').append(partitions(got)).append('\n');
            }
            out.append("end\n");
            for (Member m : members) {
                List<TopicPartition> got = result.get(m.id).partitions();
                m.owned = new ArrayList<>(got);
                m.generation = generation;
                m.own.onAssignment(new Assignment(got), new ConsumerGroupMetadata("oracle", generation, m.id, Optional.empty()));
            }
        }
    }

    static Cluster cluster(Map<String, Integer> topics) {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> parts = new ArrayList<>();
        for (Map.Entry<String, Integer> t : topics.entrySet()) {
            for (int p = 0; p < t.getValue(); p++) {
                parts.add(new PartitionInfo(t.getKey(), p, node, new Node[] {node}, new Node[] {node}));
            }
        }
        return new Cluster("oracle", Collections.singletonList(node), parts, Collections.emptySet(), Collections.emptySet());
    }

    static List<TopicPartition> parsePartitions(String text) {
        List<TopicPartition> tps = new ArrayList<>();
        if (text.equals("-")) return tps;
        for (String tp : text.split(",")) {
            int colon = tp.lastIndexOf(':');
            tps.add(new TopicPartition(tp.substring(0, colon), Integer.parseInt(tp.substring(colon + 1))));
        }
        return tps;
    }

    static String partitions(List<TopicPartition> tps) {
        if (tps.isEmpty()) return "-";
        StringBuilder b = new StringBuilder();
        for (TopicPartition tp : tps) {
            if (b.length() > 0) b.append(',');
            b.append(tp.topic()).append(':').append(tp.partition());
        }
        return b.toString();
    }
}
