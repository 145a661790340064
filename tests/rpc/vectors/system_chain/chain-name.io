// the chain spec's name
>> {"jsonrpc":"2.0","id":1,"method":"system_chain"}
<< {"jsonrpc":"2.0","id":1,"result":"Flockchain Development"}
