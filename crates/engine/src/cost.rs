//! The cost model: monthly cost of a sustained workload on Kinesis (provisioned, on-demand),
//! MSK and self-hosted Kafka, from a price sheet that is data (`content/prices.toml`, embedded).

use serde::Deserialize;
use serde_json::{Value, json};

/// The default price sheet, embedded.
pub const DEFAULT_PRICES_TOML: &str = include_str!("../../../content/prices.toml");

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct PriceSheet {
    pub hours_per_month: f64,
    pub record_size_bytes_default: u64,
    pub kinesis_provisioned: KinesisProvisionedPrices,
    pub kinesis_on_demand: KinesisOnDemandPrices,
    pub msk: KafkaPrices,
    pub self_hosted: KafkaPrices,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct KinesisProvisionedPrices {
    pub shard_hour: f64,
    pub put_payload_units_per_million: f64,
    pub put_payload_unit_bytes: u64,
    pub shard_write_bytes_per_sec: u64,
    pub shard_write_records_per_sec: u64,
    pub extended_retention_shard_hour: f64,
    pub long_term_retention_gb_month: f64,
    pub efo_consumer_shard_hour: f64,
    pub efo_data_retrieval_gb: f64,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct KinesisOnDemandPrices {
    pub stream_hour: f64,
    pub data_in_gb: f64,
    pub data_out_gb: f64,
    pub efo_data_retrieval_gb: f64,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct KafkaPrices {
    #[serde(default)]
    pub min_effective_mb_per_sec: f64,
    #[serde(default)]
    pub storage_gb_month: f64,
    #[serde(default)]
    pub ebs_gb_month: f64,
    pub replication_factor: u32,
    pub compression_ratio: f64,
    #[serde(default)]
    pub ops_month: f64,
    pub tiers: Vec<BrokerTier>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct BrokerTier {
    pub max_mb_per_sec: f64,
    pub brokers: u32,
    pub instance: String,
    pub broker_hour: f64,
}

impl Default for PriceSheet {
    fn default() -> Self {
        PriceSheet::parse(DEFAULT_PRICES_TOML).expect("the embedded price sheet parses")
    }
}

impl PriceSheet {
    pub fn parse(text: &str) -> Result<PriceSheet, String> {
        let sheet: PriceSheet = toml::from_str(text).map_err(|e| format!("price sheet: {e}"))?;
        for (name, k) in [("msk", &sheet.msk), ("self_hosted", &sheet.self_hosted)] {
            if k.tiers.is_empty()
                || k.tiers
                    .windows(2)
                    .any(|w| w[0].max_mb_per_sec >= w[1].max_mb_per_sec)
            {
                return Err(format!(
                    "price sheet: {name}.tiers must be non-empty and ordered by max_mb_per_sec"
                ));
            }
            if k.compression_ratio <= 0.0 || k.replication_factor == 0 {
                return Err(format!(
                    "price sheet: {name} needs compression_ratio > 0 and replication_factor >= 1"
                ));
            }
        }
        if sheet.kinesis_provisioned.put_payload_unit_bytes == 0
            || sheet.kinesis_provisioned.shard_write_bytes_per_sec == 0
            || sheet.kinesis_provisioned.shard_write_records_per_sec == 0
        {
            return Err("price sheet: kinesis_provisioned unit sizes must be positive".into());
        }
        Ok(sheet)
    }
}

/// A sustained workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub bytes_per_sec: f64,
    pub record_size_bytes: u64,
    pub retention_hours: u32,
    /// Enhanced fan-out consumers (Kinesis) each reading everything.
    pub efo_consumers: u32,
    /// Polling consumers reading everything (on-demand bills data out per consumer).
    pub polling_consumers: u32,
    /// Extra shards over the minimum, as a fraction (0.25 = 25% hot-key headroom).
    pub headroom: f64,
}

impl Workload {
    pub fn new(bytes_per_sec: f64) -> Self {
        Workload {
            bytes_per_sec,
            record_size_bytes: 1000,
            retention_hours: 24,
            efo_consumers: 0,
            polling_consumers: 1,
            headroom: 0.0,
        }
    }
    fn records_per_sec(&self) -> f64 {
        self.bytes_per_sec / self.record_size_bytes.max(1) as f64
    }
    fn gb_per_month(&self, hours: f64) -> f64 {
        self.bytes_per_sec * 3600.0 * hours / 1e9
    }
}

fn money(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}

/// Shards a provisioned stream needs for the workload.
pub fn kinesis_shards(p: &PriceSheet, w: &Workload) -> u64 {
    let k = &p.kinesis_provisioned;
    let by_bytes = (w.bytes_per_sec / k.shard_write_bytes_per_sec as f64).ceil();
    let by_records = (w.records_per_sec() / k.shard_write_records_per_sec as f64).ceil();
    ((by_bytes.max(by_records).max(1.0)) * (1.0 + w.headroom.max(0.0))).ceil() as u64
}

/// Monthly costs of the workload on every option, as JSON.
pub fn estimate(p: &PriceSheet, w: &Workload) -> Value {
    let h = p.hours_per_month;
    let mbps = w.bytes_per_sec / 1e6;
    let k = &p.kinesis_provisioned;
    let shards = kinesis_shards(p, w);
    let shard_cost = shards as f64 * k.shard_hour * h;
    let units_per_record = w
        .record_size_bytes
        .div_ceil(k.put_payload_unit_bytes)
        .max(1) as f64;
    let put_units_month = w.records_per_sec() * units_per_record * 3600.0 * h;
    let put_cost = put_units_month / 1e6 * k.put_payload_units_per_million;
    let gb_month = w.gb_per_month(h);
    let extended = if w.retention_hours > 24 {
        shards as f64 * k.extended_retention_shard_hour * h
    } else {
        0.0
    };
    let long_term_gb = if w.retention_hours > 168 {
        w.bytes_per_sec * 3600.0 * f64::from(w.retention_hours - 168) / 1e9
    } else {
        0.0
    };
    let long_term = long_term_gb * k.long_term_retention_gb_month;
    let efo = f64::from(w.efo_consumers)
        * (shards as f64 * k.efo_consumer_shard_hour * h + gb_month * k.efo_data_retrieval_gb);
    let prov_total = shard_cost + put_cost + extended + long_term + efo;

    let od = &p.kinesis_on_demand;
    let od_stream = od.stream_hour * h;
    // On-demand bills data in with each record rounded up to the next 1 KB (1,024 bytes).
    let billed_record = (w.record_size_bytes.div_ceil(1024).max(1) * 1024) as f64;
    let od_in = w.records_per_sec() * billed_record * 3600.0 * h / 1e9 * od.data_in_gb;
    let od_out = gb_month * f64::from(w.polling_consumers) * od.data_out_gb;
    let od_efo = gb_month * f64::from(w.efo_consumers) * od.efo_data_retrieval_gb;
    let od_total = od_stream + od_in + od_out + od_efo + long_term;

    json!({
        "Workload": {
            "MBPerSec": mbps,
            "RecordsPerSec": w.records_per_sec().round(),
            "RecordSizeBytes": w.record_size_bytes,
            "RetentionHours": w.retention_hours,
            "EfoConsumers": w.efo_consumers,
            "HoursPerMonth": h,
        },
        "KinesisProvisioned": {
            "Shards": shards,
            "ShardCost": money(shard_cost),
            "PutPayloadUnitsPerMonth": put_units_month.round(),
            "PutCost": money(put_cost),
            "ExtendedRetentionCost": money(extended),
            "LongTermRetentionCost": money(long_term),
            "EnhancedFanOutCost": money(efo),
            "MonthlyTotal": money(prov_total),
        },
        "KinesisOnDemand": {
            "StreamCost": money(od_stream),
            "DataInCost": money(od_in),
            "DataOutCost": money(od_out),
            "EnhancedFanOutCost": money(od_efo),
            "LongTermRetentionCost": money(long_term),
            "MonthlyTotal": money(od_total),
        },
        "MskProvisioned": kafka(&p.msk, mbps, w, h, true),
        "SelfHostedKafka": kafka(&p.self_hosted, mbps, w, h, false),
    })
}

fn kafka(k: &KafkaPrices, mbps: f64, w: &Workload, h: f64, msk: bool) -> Value {
    let last = k.tiers.last().expect("validated non-empty");
    let (tier, scale) = match k.tiers.iter().find(|t| mbps <= t.max_mb_per_sec) {
        Some(t) => (t, 1.0),
        None => (last, (mbps / last.max_mb_per_sec).ceil()),
    };
    let brokers = f64::from(tier.brokers) * scale;
    let broker_cost = brokers * tier.broker_hour * h;
    let stored_gb = mbps * 3.6 * f64::from(w.retention_hours) * f64::from(k.replication_factor)
        / k.compression_ratio;
    let storage_price = if msk {
        k.storage_gb_month
    } else {
        k.ebs_gb_month
    };
    let storage_cost = stored_gb * storage_price;
    let applicable = mbps >= k.min_effective_mb_per_sec;
    let mut v = json!({
        "Brokers": brokers as u64,
        "Instance": tier.instance,
        "BrokerCost": money(broker_cost),
        "StorageGB": stored_gb.round(),
        "StorageCost": money(storage_cost),
        "MonthlyTotal": money(broker_cost + storage_cost + k.ops_month),
    });
    if !msk {
        v["OpsCost"] = money(k.ops_month);
    }
    if !applicable {
        v["Note"] = json!(format!(
            "n/a: {mbps} MB/s is below the 3-broker minimum effective scale ({} MB/s)",
            k.min_effective_mb_per_sec
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(v: &Value, a: &str, b: &str) -> f64 {
        v[a][b].as_f64().unwrap()
    }

    #[test]
    fn defaults_are_us_east_1_list_prices() {
        let p = PriceSheet::default();
        let one = estimate(&p, &Workload::new(1e6));
        assert_eq!(one["KinesisProvisioned"]["Shards"], 1);
        assert!((10.9..11.0).contains(&total(&one, "KinesisProvisioned", "ShardCost")));
        assert!((36.7..36.9).contains(&total(&one, "KinesisProvisioned", "PutCost")));
        assert!(one["MskProvisioned"]["Note"].is_null());
        assert!((178.0..179.5).contains(&total(&one, "SelfHostedKafka", "BrokerCost")));

        let hundred = estimate(&p, &Workload::new(100e6));
        assert_eq!(hundred["KinesisProvisioned"]["Shards"], 100);
        assert!((1_090.0..1_100.0).contains(&total(&hundred, "KinesisProvisioned", "ShardCost")));
        assert!((3_670.0..3_690.0).contains(&total(&hundred, "KinesisProvisioned", "PutCost")));
        assert!((890.0..897.0).contains(&total(&hundred, "MskProvisioned", "BrokerCost")));
        assert!((650.0..750.0).contains(&total(&hundred, "MskProvisioned", "StorageCost")));
        assert!((710.0..720.0).contains(&total(&hundred, "SelfHostedKafka", "BrokerCost")));

        let gig = estimate(&p, &Workload::new(1e9));
        assert_eq!(gig["KinesisProvisioned"]["Shards"], 1000);
        assert!((10_900.0..11_000.0).contains(&total(&gig, "KinesisProvisioned", "ShardCost")));
        assert!((36_700.0..36_900.0).contains(&total(&gig, "KinesisProvisioned", "PutCost")));
        assert!((7_100.0..7_200.0).contains(&total(&gig, "MskProvisioned", "BrokerCost")));
        assert!((2_850.0..2_870.0).contains(&total(&gig, "SelfHostedKafka", "BrokerCost")));
    }

    #[test]
    fn bad_sheets_are_rejected() {
        assert!(PriceSheet::parse("hours_per_month = 1").is_err());
        let swapped = DEFAULT_PRICES_TOML.replace(
            "max_mb_per_sec = 200.0\nbrokers = 3\ninstance = \"kafka",
            "max_mb_per_sec = 5000.0\nbrokers = 3\ninstance = \"kafka",
        );
        assert!(PriceSheet::parse(&swapped).is_err());
    }
}
