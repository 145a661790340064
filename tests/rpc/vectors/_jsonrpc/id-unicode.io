// a non-ASCII string id is echoed
>> {"jsonrpc":"2.0","id":"\u0438\u0434-\ud83e\udd86","method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":"\u0438\u0434-\ud83e\udd86","result":"0x7a69"}
