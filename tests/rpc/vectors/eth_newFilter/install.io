// a log filter's id (random: schema-only), then no changes yet
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newFilter","params":[{"fromBlock":"0x0","address":"0x0000000000000000000000000000000000000801"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0xaa0f783749221d7d34715619334f197f"}
>> {"jsonrpc":"2.0","id":2,"method":"eth_getFilterChanges","params":["0xaa0f783749221d7d34715619334f197f"]}
<< {"jsonrpc":"2.0","id":2,"result":[]}
>> {"jsonrpc":"2.0","id":3,"method":"eth_uninstallFilter","params":["0xaa0f783749221d7d34715619334f197f"]}
<< {"jsonrpc":"2.0","id":3,"result":true}
