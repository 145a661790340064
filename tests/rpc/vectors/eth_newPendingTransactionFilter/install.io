// a pending-transaction filter's id (random: schema-only)
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newPendingTransactionFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xf7bd211d0dc3e58a04b0918397022594"}
>> {"jsonrpc":"2.0","id":2,"method":"eth_getFilterChanges","params":["0xf7bd211d0dc3e58a04b0918397022594"]}
<< {"jsonrpc":"2.0","id":2,"result":[]}
>> {"jsonrpc":"2.0","id":3,"method":"eth_uninstallFilter","params":["0xf7bd211d0dc3e58a04b0918397022594"]}
<< {"jsonrpc":"2.0","id":3,"result":true}
