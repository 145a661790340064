// nothing bridged yet; no Base block accepted
>> {"jsonrpc":"2.0","id":1,"method":"flock_bridgeStatus"}
<< {"jsonrpc":"2.0","id":1,"result":{"minted":"0x0","burned":"0x0","outstanding":"0x0","latestBaseBlock":{"number":"0x0","hash":"0x0000000000000000000000000000000000000000000000000000000000000000"},"nextUnmintedDeposit":"0x0","withdrawalCount":"0x0","nextUnreleasedWithdrawal":"0x0"}}
