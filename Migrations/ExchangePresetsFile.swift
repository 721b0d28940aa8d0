/// `exchange-presets.json`, compiled into the binary: the one list of exchange nonce rules,
/// which NonceKit decodes and the Python package reads as a file.
public enum ExchangePresetsFile {
    public static var bytes: [UInt8] { PackageResources.exchange_presets_json }
}
