// the earliest tag is genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC","earliest"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
