// no peers, not syncing, none expected on a dev chain
>> {"jsonrpc":"2.0","id":1,"method":"system_health"}
<< {"jsonrpc":"2.0","id":1,"result":{"peers":0,"isSyncing":false,"shouldHavePeers":false}}
